/** §12 WhatsApp Business labels: list, create, change, delete, chats of a label, a chat's labels. */
import { Elysia, t } from 'elysia'
import { authGuards, type GuardDeps } from '../../auth/guards'
import { Chat } from '../chats/model'
import { PhoneParams } from '../common/model'
import { connectedErrors, SuccessResult } from '../common/whatsapp-model'
import { ChatLabelsBody, ChatLabelsResult, CreateLabelBody, Label, LabelList, PhoneChatLabelParams, PhoneLabelParams, UpdateLabelBody } from './model'
import type { LabelsService } from './service'

const tags = ['Labels']
/** WAHA's label event payloads, for the routes that cause them. */
const EVENTS =
  ' Events (webhooks, SSE): `label.upsert` and `label.deleted` carry the label `{id, name, color, colorHex}`; `label.chat.added` and `label.chat.deleted` carry `{labelId, chatId, label}` (`label` null when it is gone).'
const NOTES =
  ' WhatsApp Business only: needs a CONNECTED session (409 otherwise) whose engine can do it (501 NOT_SUPPORTED otherwise, see `capabilities` in `GET /:phoneNumber/state`).'

export function labelsModule(deps: GuardDeps, service: LabelsService) {
  return new Elysia({ name: 'labels', seed: deps })
    .use(authGuards(deps))
    .get('/:phoneNumber/labels', ({ phoneNumber }) => service.list(phoneNumber), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      response: { 200: LabelList, ...connectedErrors },
      detail: { tags, summary: 'List labels', description: "The number's labels with their colour (`color`, the palette index, and `colorHex`)." + NOTES },
    })
    .post('/:phoneNumber/labels', ({ phoneNumber, body }) => service.create(phoneNumber, body), {
      requireSingleAccountProtected: true,
      params: PhoneParams,
      body: CreateLabelBody,
      response: { 200: Label, ...connectedErrors },
      detail: {
        tags,
        summary: 'Create a label',
        description: 'Creates a label (colour 0 unless `color` or `colorHex` says otherwise) and publishes `label.upsert`. 409 when a label of that name exists; 400 beyond WhatsApp\'s 20 labels.' + EVENTS + NOTES,
      },
    })
    .put('/:phoneNumber/labels/:labelId', ({ phoneNumber, params, body }) => service.update(phoneNumber, params.labelId, body), {
      requireSingleAccountProtected: true,
      params: PhoneLabelParams,
      body: UpdateLabelBody,
      response: { 200: Label, ...connectedErrors },
      detail: { tags, summary: 'Change a label', description: 'Renames or recolours a label and publishes `label.upsert`. 404 for an unknown label, 409 for a name another label has.' + NOTES },
    })
    .delete('/:phoneNumber/labels/:labelId', ({ phoneNumber, params }) => service.remove(phoneNumber, params.labelId), {
      requireSingleAccountProtected: true,
      params: PhoneLabelParams,
      response: { 200: SuccessResult, ...connectedErrors },
      detail: {
        tags,
        summary: 'Delete a label',
        description: 'Deletes a label: it comes off every chat (`label.chat.deleted` for each) and `label.deleted` is published. 404 for an unknown label.' + NOTES,
      },
    })
    .get('/:phoneNumber/labels/:labelId/chats', ({ phoneNumber, params }) => service.chats(phoneNumber, params.labelId), {
      requireSingleAccountProtected: true,
      params: PhoneLabelParams,
      response: { 200: t.Array(Chat), ...connectedErrors },
      detail: { tags, summary: 'Chats with a label', description: 'The chats that carry the label, most recent first (as `GET /chats?labelId=`, unpaginated). 404 for an unknown label.' + NOTES },
    })
    .put('/:phoneNumber/chat/:chatId/labels', ({ phoneNumber, params, body }) => service.setChatLabels(phoneNumber, params.chatId, body.labelIds), {
      requireSingleAccountProtected: true,
      params: PhoneChatLabelParams,
      body: ChatLabelsBody,
      response: { 200: ChatLabelsResult, ...connectedErrors },
      detail: {
        tags,
        summary: "Set a chat's labels",
        description:
          "Replaces the chat's labels with `labelIds` (`[]` removes them all) and answers with the labels it now has; `label.chat.added` / `label.chat.deleted` are published for what changed. 400 naming unknown label ids, 404 for an unknown chat." +
          EVENTS +
          NOTES,
      },
    })
}
