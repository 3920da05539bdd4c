// Shared by the tray (session bus) and the logind lock source (system bus).
/**
 * Ends a dbus-next connection for good: `disconnect()` only half-closes the socket (end), which
 * leaves it, and the process, alive when the peer never answers; destroy it as well.
 */
export function closeBus(bus: { disconnect(): void }): void {
  bus.disconnect();
  (bus as unknown as { _connection?: { stream?: { destroy?: () => void } } })._connection?.stream?.destroy?.();
}
