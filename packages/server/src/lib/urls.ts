/** Whether two URLs point at the same host and port: stored credentials are bound to their destination's host. */
export function isSameHost(a: string, b: string): boolean {
  try {
    return new URL(a).host.toLowerCase() === new URL(b).host.toLowerCase();
  } catch {
    return false;
  }
}
