import { EventSource } from 'eventsource';

/** One event a stream delivered: its SSE id and its parsed `data:` line. */
export interface ReceivedEvent {
  lastEventId: string;
  data: Record<string, unknown>;
}

/**
 * A browser's view of `GET /events`: the `eventsource` package, which follows the HTML
 * standard's EventSource (reconnects after `retry:`, sends `Last-Event-ID`), collecting what it
 * receives.
 */
export class EventListener {
  readonly events: ReceivedEvent[] = [];
  readonly source: EventSource;
  /** How many times the stream has been (re)opened. */
  opens = 0;

  constructor(url: string) {
    this.source = new EventSource(`${url}/events`);
    this.source.onopen = () => {
      this.opens += 1;
    };
    this.source.onmessage = (message) => {
      this.events.push({ lastEventId: message.lastEventId, data: JSON.parse(message.data) });
    };
  }

  /** Resolves once the stream is open (the first time). */
  async opened(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.opens > 0, timeoutMs, 'the stream to open');
  }

  /** Resolves with the events so far once `count` have come. */
  async received(count: number, timeoutMs = 5_000): Promise<ReceivedEvent[]> {
    await this.until(() => this.events.length >= count, timeoutMs, `${count} events`);
    return this.events;
  }

  async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) {
        throw new Error(`waited ${timeoutMs} ms for ${what}; got ${JSON.stringify(this.events)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.source.close();
  }
}
