/**
 * A simulated number's WhatsApp Business labels: the five the Business app starts with,
 * plus those made through the API, each on any of the number's chats. Labels are the
 * phone's own (no other number sees them), so they live in its `Account` and are durable
 * with it.
 */
import { BadRequestError, ConflictError, NotFoundError } from '../../errors'
import { labelColorHex } from '../../lib/label-colors'
import type { LabelDTO, LabelInput } from '../engine'

export interface StoredLabel {
  id: string
  name: string
  color: number
}

/** WhatsApp Business allows twenty labels. */
export const MAX_LABELS = 20

/** What a new WhatsApp Business account shows under Labels. */
const STARTER_LABELS: readonly StoredLabel[] = [
  { id: '1', name: 'New customer', color: 1 },
  { id: '2', name: 'New order', color: 2 },
  { id: '3', name: 'Pending payment', color: 3 },
  { id: '4', name: 'Paid', color: 5 },
  { id: '5', name: 'Order complete', color: 14 },
]

export function starterLabels(): Map<string, StoredLabel> {
  return new Map(STARTER_LABELS.map((label) => [label.id, { ...label }]))
}

export function labelDto(label: StoredLabel): LabelDTO {
  return { id: label.id, name: label.name, color: label.color, colorHex: labelColorHex(label.color) }
}

export function requireLabel(labels: Map<string, StoredLabel>, labelId: string): StoredLabel {
  const label = labels.get(labelId)
  if (!label) throw new NotFoundError(`Label ${labelId} not found`)
  return label
}

/** Creates or changes a label in the book; names are unique (case-insensitive) as in the Business app. */
export function saveLabel(labels: Map<string, StoredLabel>, input: LabelInput): StoredLabel {
  const name = input.name.trim()
  if (name === '') throw new BadRequestError('A label needs a name', { field: 'name' })
  const clash = [...labels.values()].find((label) => label.id !== input.id && label.name.toLocaleLowerCase() === name.toLocaleLowerCase())
  if (clash) throw new ConflictError(`A label named "${clash.name}" exists already (id ${clash.id})`, { labelId: clash.id })
  if (input.id !== undefined) {
    const label = requireLabel(labels, input.id)
    label.name = name
    label.color = input.color
    return label
  }
  if (labels.size >= MAX_LABELS) throw new BadRequestError(`WhatsApp Business allows at most ${MAX_LABELS} labels; delete one first`)
  const id = String(Math.max(0, ...[...labels.keys()].map(Number).filter(Number.isFinite)) + 1)
  const label: StoredLabel = { id, name, color: input.color }
  labels.set(id, label)
  return label
}
