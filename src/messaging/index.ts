/** What the messaging services need besides the session manager; built once in src/deps.ts. */
import type { EventIngest } from '../events/ingest'
import type { IdempotencyStore } from './idempotency'
import type { MediaConverter } from './media-convert'
import type { MediaResolver } from './media-input'
import type { MessageStore } from './message-store'
import type { SendPacer } from './pacer'

export interface MessagingDeps {
  store: MessageStore
  media: MediaResolver
  /** Voice, video and stickers into the forms WhatsApp accepts (ffmpeg). */
  convert: MediaConverter
  pacer: SendPacer
  idempotency: IdempotencyStore
  ingest: EventIngest
}
