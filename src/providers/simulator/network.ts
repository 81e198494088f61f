/**
 * A WhatsApp network in memory. Every simulator session of one server joins the same
 * network once it is linked, so sessions can message each other; numbers that are not
 * linked here are "outside" numbers that can write in through the sandbox.
 *
 * Messages travel as `WireMessage`s carrying WhatsApp's shared message key; each device
 * keeps its own copy under its own serialized id (`<fromMe>_<chatId>_<key>`), as
 * whatsapp-web.js reports them.
 */
import type { Ack, Location, MediaFile, MessageType, Poll } from '../provider'

export interface WireMessage {
  key: string
  /** Sender's phone number (digits). */
  from: string
  /** A phone number (digits) for a direct chat, or a group JID. */
  to: string
  /** Unix seconds. */
  timestamp: number
  type: MessageType
  body: string
  media?: MediaFile
  quotedKey?: string
  location?: Location
  vcards?: string[]
  poll?: Poll
  mentions?: string[]
  isForwarded?: boolean
}

/** What a linked device must handle when the network talks to it. */
export interface NetworkDevice {
  readonly phoneNumber: string
  receive(message: WireMessage): void
  /** A message this device sent reached a new ack level on the recipient's side. */
  acked(key: string, chatJid: string, ack: Ack): void
}

export interface AccountProfile {
  pushName: string
  status: string
}

export class SimulatorNetwork {
  private readonly devices = new Map<string, NetworkDevice>()
  private readonly profiles = new Map<string, AccountProfile>()

  join(device: NetworkDevice, profile: AccountProfile): void {
    this.devices.set(device.phoneNumber, device)
    this.profiles.set(device.phoneNumber, profile)
  }

  leave(device: NetworkDevice): void {
    if (this.devices.get(device.phoneNumber) === device) this.devices.delete(device.phoneNumber)
  }

  isOnline(phoneNumber: string): boolean {
    return this.devices.has(phoneNumber)
  }

  profile(phoneNumber: string): AccountProfile | undefined {
    return this.profiles.get(phoneNumber)
  }

  setProfile(phoneNumber: string, update: Partial<AccountProfile>): void {
    const current = this.profiles.get(phoneNumber) ?? { pushName: phoneNumber, status: '' }
    this.profiles.set(phoneNumber, { ...current, ...update })
  }

  /**
   * Hands a direct message to its recipient when that number is linked here.
   * Returns whether a device received it (the sender's ack then becomes DEVICE).
   */
  deliver(message: WireMessage): boolean {
    const recipient = this.devices.get(message.to)
    if (!recipient || message.to === message.from) return false
    // Each side owns its copy: a later edit on one side never mutates the other's.
    queueMicrotask(() => recipient.receive(structuredClone(message)))
    return true
  }

  /** The recipient `by` read messages from `sender`; tells the sender's device. */
  ack(sender: string, by: string, keys: string[], ack: Ack): void {
    const device = this.devices.get(sender)
    if (!device) return
    for (const key of keys) queueMicrotask(() => device.acked(key, `${by}@c.us`, ack))
  }
}
