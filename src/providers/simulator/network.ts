/**
 * A WhatsApp network in memory. Every simulator session of one server joins the same
 * network once it is linked, so sessions can message each other; numbers that are not
 * linked here are "outside" numbers that can write in through the sandbox.
 *
 * The network keeps, per number, the phone's data (`Account`: chats, messages, block
 * list), profiles (name, about, picture) and the shared group records. Deliveries are
 * `Packet`s: handed to the linked device on the next microtask (the network's latency),
 * or kept in the account's inbox while no device is online and handed over when one
 * links again — so the sender's ack stays at SERVER (one tick) until then, as on
 * WhatsApp.
 *
 * With a state store (./state.ts) all of it is durable like a phone's: `restore()` reads it
 * back at boot, and every change is written shortly after it happened (`changed()` marks
 * what to write; the rows go out together, SAVE_DELAY_MS later) and at `close()`. A save
 * writes each changed account's head and only the messages added or changed since the
 * last one (`Account.unsaved`), so its cost follows the traffic, not the history.
 *
 * With a relay (many nodes, API.md §10) the network spans the cluster: a packet for a number
 * whose device is not linked on this node goes to that number's mailbox in the shared
 * database, and whichever node runs the number takes it (now, or when it links). The
 * numbers linked on any node count as on WhatsApp. Groups, profiles and Status audiences
 * stay per node.
 */
import type { EngineRelay, MediaFile } from '../engine'
import { Account } from './account'
import { ChannelRegistry } from './channels'
import { GroupRegistry } from './groups'
import { accountChanges, decode, decodeAccount, decodeMessage, decodeWorld, encode, encodeWorld, isMessageKey, WORLD_KEY, type SimulatorStateStore, type StateRow } from './state'
import type { Packet } from './wire'

/** Changes within this long are written together. */
const SAVE_DELAY_MS = 25

/** What a linked device must handle when the network talks to it. */
export interface NetworkDevice {
  readonly phoneNumber: string
  handle(packet: Packet): void
}

export interface AccountProfile {
  pushName: string
  /** The "about" text. */
  status: string
  picture?: MediaFile
}

export class SimulatorNetwork {
  private readonly devices = new Map<string, NetworkDevice>()
  private readonly accounts = new Map<string, Account>()
  private readonly profiles = new Map<string, AccountProfile>()
  /** Numbers known to be on WhatsApp without being linked here (they wrote in through the sandbox). */
  private readonly outside = new Set<string>()
  readonly groups: GroupRegistry
  readonly channels = new ChannelRegistry()
  private readonly dirtyAccounts = new Set<string>()
  private worldDirty = false
  private saveTimer?: ReturnType<typeof setTimeout>
  private saving: Promise<void> = Promise.resolve()
  private restoring?: Promise<void>
  /** Numbers linked on other nodes (with a relay), refreshed at every wake-up. */
  private readonly elsewhere = new Set<string>()
  /** Posts to the relay, one at a time so a sender's packets keep their order. */
  private posting: Promise<void> = Promise.resolve()
  private draining?: Promise<void>
  private drainAgain = false
  private unwatch?: () => void

  constructor(
    private readonly store?: SimulatorStateStore,
    private readonly onSaveError: (error: unknown) => void = () => undefined,
    private readonly relay?: EngineRelay,
  ) {
    this.groups = new GroupRegistry((phone, notification) => this.send(phone, { kind: 'group', notification }))
  }

  /** Reads the durable state back, once, before any session of this network runs. */
  restore(): Promise<void> {
    this.restoring ??= this.load().catch((error: unknown) => {
      this.restoring = undefined
      throw error
    })
    return this.restoring
  }

  private async load(): Promise<void> {
    if (this.relay && !this.unwatch) {
      this.unwatch = this.relay.watch(() => void this.drain())
      await this.refreshMembers()
    }
    if (!this.store) return
    const messages: Array<ReturnType<typeof decodeMessage>> = []
    for (const row of await this.store.load()) {
      if (isMessageKey(row.key)) messages.push(decodeMessage(row.state))
      else if (row.key === WORLD_KEY) {
        const world = decodeWorld(row.state)
        for (const [phone, profile] of world.profiles) this.profiles.set(phone, profile)
        for (const phone of world.outside) this.outside.add(phone)
        this.groups.restore(world.groups)
        this.channels.restore(world.channels ?? [])
      } else if (row.key.startsWith('account:')) {
        const account = decodeAccount(row.state)
        this.accounts.set(account.phone, account)
        // A row of the earlier layout (messages inside): its head is rewritten with the message rows, in one save.
        if (account.unsaved.size > 0) this.dirtyAccounts.add(account.phone)
      }
    }
    messages.sort((a, b) => a.order - b.order)
    for (const { phone, chatId, order, message } of messages) this.accounts.get(phone)?.restore(chatId, message, order)
  }

  /** Something of `phone`'s account (or, without one, of the shared state) changed: write it soon. */
  changed(phone?: string): void {
    if (!this.store) return
    if (phone !== undefined) this.dirtyAccounts.add(phone)
    this.worldDirty = true
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined
      void this.flush()
    }, SAVE_DELAY_MS)
  }

  /** Writes what changed; one write at a time, in order. */
  flush(): Promise<void> {
    clearTimeout(this.saveTimer)
    this.saveTimer = undefined
    const rows: StateRow[] = []
    const removedKeys: string[] = []
    for (const [phone, account] of this.accounts) {
      const headChanged = this.dirtyAccounts.has(phone)
      if (!headChanged && account.unsaved.size === 0 && account.removed.size === 0) continue
      const changes = accountChanges(account, headChanged)
      rows.push(...changes.rows)
      removedKeys.push(...changes.removedKeys)
    }
    this.dirtyAccounts.clear()
    if (this.worldDirty) rows.push({ key: WORLD_KEY, state: encodeWorld({ profiles: this.profiles, outside: this.outside, groups: this.groups.all(), channels: this.channels.all() }) })
    this.worldDirty = false
    if ((rows.length === 0 && removedKeys.length === 0) || !this.store) return this.saving
    const store = this.store
    this.saving = this.saving.then(() => store.save(rows, removedKeys)).catch(this.onSaveError)
    return this.saving
  }

  /** Writes anything still pending (the server is shutting down). */
  async close(): Promise<void> {
    this.unwatch?.()
    this.unwatch = undefined
    await this.draining
    await this.posting
    await this.flush()
  }

  private async refreshMembers(): Promise<void> {
    if (!this.relay) return
    const members = await this.relay.members()
    this.elsewhere.clear()
    for (const phone of members) if (!this.devices.has(phone)) this.elsewhere.add(phone)
  }

  /** Leaves a packet in a number's mailbox, for the node that runs it. */
  private postToRelay(to: string, packet: Packet): void {
    const relay = this.relay
    if (!relay) return
    const payload = encode(packet)
    this.posting = this.posting.then(() => relay.post(to, payload)).catch(this.onSaveError)
  }

  private postIfMember(to: string, packet: Packet): void {
    const relay = this.relay
    if (!relay) return
    const payload = encode(packet)
    this.posting = this.posting
      .then(async () => {
        await this.refreshMembers()
        if (this.elsewhere.has(to)) await relay.post(to, payload)
      })
      .catch(this.onSaveError)
  }

  /** Takes what waits in the relay for the devices linked here and hands it over, in order. */
  private drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true
      return this.draining
    }
    const relay = this.relay
    if (!relay) return Promise.resolve()
    this.draining = (async () => {
      do {
        this.drainAgain = false
        await this.refreshMembers()
        const online = [...this.devices.keys()]
        if (online.length === 0) continue
        for (const { to, payload } of await relay.take(online)) {
          const packet = decode<Packet>(payload)
          const device = this.devices.get(to)
          if (device) {
            this.changed(to)
            device.handle(packet)
          } else this.postToRelay(to, packet) // it went offline meanwhile: back to its mailbox
        }
      } while (this.drainAgain)
    })()
      .catch(this.onSaveError)
      .finally(() => {
        this.draining = undefined
      })
    return this.draining
  }

  /** A device links: its number becomes an account here, and what waited in its inbox is handed over. */
  join(device: NetworkDevice, profile: { pushName: string }): Account {
    this.devices.set(device.phoneNumber, device)
    const current = this.profiles.get(device.phoneNumber)
    this.profiles.set(device.phoneNumber, { status: '', ...current, pushName: profile.pushName })
    const account = this.account(device.phoneNumber)
    this.changed(device.phoneNumber)
    const waiting = account.inbox.splice(0)
    for (const packet of waiting) queueMicrotask(() => this.handOver(device, packet))
    this.elsewhere.delete(device.phoneNumber)
    if (this.relay) {
      const relay = this.relay
      void relay
        .announce(device.phoneNumber)
        .then(() => this.drain())
        .catch(this.onSaveError)
    }
    return account
  }

  leave(device: NetworkDevice): void {
    if (this.devices.get(device.phoneNumber) === device) this.devices.delete(device.phoneNumber)
  }

  isOnline(phoneNumber: string): boolean {
    return this.devices.has(phoneNumber)
  }

  /** The phone's data of a number; created on first use (a number's first link). */
  account(phoneNumber: string): Account {
    let account = this.accounts.get(phoneNumber)
    if (!account) {
      account = new Account(phoneNumber)
      this.accounts.set(phoneNumber, account)
    }
    return account
  }

  /** Numbers linked here at least once. */
  accountNumbers(): string[] {
    return [...this.accounts.keys()]
  }

  hasAccount(phoneNumber: string): boolean {
    return this.accounts.has(phoneNumber)
  }

  /** Whether a number is on WhatsApp as far as this network knows. */
  exists(phoneNumber: string): boolean {
    return this.accounts.has(phoneNumber) || this.outside.has(phoneNumber) || this.elsewhere.has(phoneNumber)
  }

  registerOutside(phoneNumber: string): void {
    if (!this.accounts.has(phoneNumber) && !this.outside.has(phoneNumber)) {
      this.outside.add(phoneNumber)
      this.changed()
    }
  }

  profile(phoneNumber: string): AccountProfile | undefined {
    return this.profiles.get(phoneNumber)
  }

  setProfile(phoneNumber: string, update: Partial<AccountProfile>): void {
    const current = this.profiles.get(phoneNumber) ?? { pushName: phoneNumber, status: '' }
    this.profiles.set(phoneNumber, { ...current, ...update })
    this.changed()
  }

  /**
   * Sends a packet to a number. Returns false when the number has no account here nor on
   * another node (an outside number: the packet goes nowhere, as to a phone that is
   * switched off forever).
   */
  send(to: string, packet: Packet): boolean {
    if (this.relay && !this.devices.has(to)) {
      if (this.elsewhere.has(to) || this.accounts.has(to)) {
        // Linked on another node, or on none right now: its mailbox holds it for whichever runs it.
        this.postToRelay(to, structuredClone(packet))
        return true
      }
      // Perhaps linked on another node a moment ago (this node hears of it at its next
      // wake-up): ask before dropping it as sent to an outside number.
      this.postIfMember(to, structuredClone(packet))
      return false
    }
    if (!this.accounts.has(to)) return false
    // Each side owns its copy: a later change on one side never mutates the other's.
    const copy = structuredClone(packet)
    // Written after the device handled it (next microtask), or with it waiting in the inbox.
    this.changed(to)
    const device = this.devices.get(to)
    if (device) queueMicrotask(() => this.handOver(device, copy))
    else this.account(to).inbox.push(copy)
    return true
  }

  private handOver(device: NetworkDevice, packet: Packet): void {
    // The device may have gone offline between the send and this microtask.
    if (this.devices.get(device.phoneNumber) === device) device.handle(packet)
    else this.account(device.phoneNumber).inbox.push(packet)
  }
}
