/** What the messaging services need besides the session manager; built once in src/deps.ts. */
import type { EventIngest } from '../events/ingest'
import type { IdempotencyStore } from './idempotency'
import type { MediaResolver } from './media-input'
import type { MessageStore } from './message-store'
import type { SendPacer } from './pacer'

export interface MessagingDeps {
  store: MessageStore
  media: MediaResolver
  pacer: SendPacer
  idempotency: IdempotencyStore
  ingest: EventIngest
}
