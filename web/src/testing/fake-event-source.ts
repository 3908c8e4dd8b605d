/**
 * The browser's EventSource as far as the app uses it (jsdom has none), driven by the test:
 * `open()`, `emit(data, id)`, `drop()` (the browser reconnects by itself) and `fail()` (it gives
 * up). The test setup installs it; every one made is in `eventSources`, newest last.
 */
export class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;

  readyState = FakeEventSource.CONNECTING;
  readonly withCredentials = false;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  readonly url: string;

  constructor(url: string | URL) {
    super();
    this.url = String(url);
    eventSources.push(this);
  }

  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }

  /** The stream answered: it is open. */
  open(): void {
    this.expectNotClosed();
    this.readyState = FakeEventSource.OPEN;
    this.fire(new Event('open'));
  }

  /** One unnamed event: `data` as its JSON `data:` line, `id` (the event's own) as its `id:`. */
  emit(data: { id?: number; kind: string }, id = data.id): void {
    if (this.readyState !== FakeEventSource.OPEN) throw new Error('The stream is not open');
    this.fire(
      new MessageEvent('message', { data: JSON.stringify(data), lastEventId: String(id ?? '') }),
    );
  }

  /** The connection dropped: the browser reconnects by itself. */
  drop(): void {
    this.expectNotClosed();
    this.readyState = FakeEventSource.CONNECTING;
    this.fire(new Event('error'));
  }

  /** The answer was not a stream (a 429, a 503…): the browser gives up. */
  fail(): void {
    this.expectNotClosed();
    this.readyState = FakeEventSource.CLOSED;
    this.fire(new Event('error'));
  }

  private fire(event: Event): void {
    this.dispatchEvent(event);
    const handler = { open: this.onopen, message: this.onmessage, error: this.onerror }[event.type];
    (handler as ((event: Event) => void) | null)?.(event);
  }

  private expectNotClosed(): void {
    if (this.readyState === FakeEventSource.CLOSED) throw new Error('The stream was closed');
  }
}

/** Every FakeEventSource made in this test, newest last. */
export const eventSources: FakeEventSource[] = [];

/** The stream the app has open now (the newest one). */
export function liveStream(): FakeEventSource {
  const source = eventSources.at(-1);
  if (!source) throw new Error('The app opened no EventSource');
  return source;
}
