/**
 * Requests whose body this node must not read: they are passed on, body and all, to the
 * node that runs their session (src/cluster/forward.ts), which streams it from the client.
 * The guard that decides it and the body parser that obeys it are in different layers;
 * this leaf is where they meet.
 */
const unread = new WeakSet<Request>()

export function leaveBodyUnread(request: Request): void {
  unread.add(request)
}

export function isBodyLeftUnread(request: Request): boolean {
  return unread.has(request)
}
