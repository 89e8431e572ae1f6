// The producer's parts with their own state, tested alone (pure logic, no network):
// the buffer budget (back-pressure in arrival order) and the flush/close waiters
// (each waits for what was outstanding when it was made). Both are internals of
// producers/ (BufferBudget.ts, OutstandingEvents.ts), imported directly; the producer
// as a whole is tested against the Kinesis server in producer.test.ts.
import { describe, expect, it } from 'vitest';
import { BufferFullError, ProducerClosedError } from '../producers/index.ts';
import { BufferBudget } from '../producers/BufferBudget.ts';
import { OutstandingEvents } from '../producers/OutstandingEvents.ts';

/** Lets settled promises run their callbacks. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records which of `promises` have resolved so far, by label. */
function track(promises: Record<string, Promise<void>>): string[] {
  const done: string[] = [];
  for (const [label, p] of Object.entries(promises)) void p.then(() => done.push(label), () => done.push(`${label} rejected`));
  return done;
}

describe('BufferBudget', () => {
  it('holds at most maxEvents and maxBytes, and names the limit an event would break', () => {
    const byEvents = new BufferBudget(1_000, 2);
    expect(byEvents.tryReserve(10)).toBe(true);
    expect(byEvents.tryReserve(10)).toBe(true);
    expect(byEvents.tryReserve(10)).toBe(false);
    expect(byEvents.fullError()).toMatchObject({ limit: 'events', max: 2 });
    expect(byEvents.fullError()).toBeInstanceOf(BufferFullError);

    const byBytes = new BufferBudget(100, 10);
    expect(byBytes.tryReserve(60)).toBe(true);
    expect(byBytes.tryReserve(60)).toBe(false);
    expect(byBytes.fullError()).toMatchObject({ limit: 'bytes', max: 100 });
    expect([byBytes.bufferedEvents, byBytes.bufferedBytes]).toEqual([1, 60]);
  });

  it('lets one event larger than the whole budget through when nothing else is held', () => {
    const budget = new BufferBudget(100, 10);
    expect(budget.tryReserve(500)).toBe(true);
    expect(budget.tryReserve(1)).toBe(false);
    budget.release(500);
    expect([budget.bufferedEvents, budget.bufferedBytes]).toEqual([0, 0]);
  });

  it('serves waiters in arrival order: a small event does not overtake a large one waiting before it', async () => {
    const budget = new BufferBudget(100, 10);
    expect(budget.tryReserve(80)).toBe(true);
    const large = budget.whenRoom(90);
    // Room for 10 bytes is free, but a waiter came first: the small one queues behind it.
    expect(budget.tryReserve(10)).toBe(false);
    const small = budget.whenRoom(10);
    const done = track({ large, small });
    await tick();
    expect(done).toEqual([]);

    budget.release(80);
    await tick();
    // Both fit now (90 + 10), and were handed their room in order.
    expect(done).toEqual(['large', 'small']);
    expect([budget.bufferedEvents, budget.bufferedBytes]).toEqual([2, 100]);
  });

  it('rejects every waiter when the producer closes, and holds nothing for them', async () => {
    const budget = new BufferBudget(100, 1);
    budget.tryReserve(10);
    const a = budget.whenRoom(10);
    const b = budget.whenRoom(10);
    budget.rejectWaiters(new ProducerClosedError('closed'));
    await expect(a).rejects.toBeInstanceOf(ProducerClosedError);
    await expect(b).rejects.toBeInstanceOf(ProducerClosedError);
    budget.release(10);
    expect([budget.bufferedEvents, budget.bufferedBytes]).toEqual([0, 0]);
  });
});

describe('OutstandingEvents', () => {
  const event = () => ({ seq: 0 });

  it('resolves at once when nothing is outstanding', async () => {
    const outstanding = new OutstandingEvents<{ seq: number }>();
    await expect(outstanding.whenSettled()).resolves.toBeUndefined();
  });

  it('numbers events in acceptance order and waits only for those accepted before the call', async () => {
    const outstanding = new OutstandingEvents<{ seq: number }>();
    const [a, b, c] = [event(), event(), event()];
    outstanding.add(a);
    outstanding.add(b);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    const first = outstanding.whenSettled();
    outstanding.add(c);
    const second = outstanding.whenSettled();
    const done = track({ first, second });

    // Settling out of order: the first waiter needs a and b, the second all three.
    outstanding.settle(b);
    outstanding.settle(c);
    await tick();
    expect(done).toEqual([]);
    outstanding.settle(a);
    await tick();
    expect(done).toEqual(['first', 'second']);
    expect(outstanding.size).toBe(0);
  });

  it('does not hold a flush back for events sent after it', async () => {
    const outstanding = new OutstandingEvents<{ seq: number }>();
    const early = event();
    outstanding.add(early);
    const flushed = outstanding.whenSettled();
    const later = event();
    outstanding.add(later);
    const done = track({ flushed });
    outstanding.settle(early);
    await tick();
    expect(done).toEqual(['flushed']);
    expect(outstanding.snapshot()).toEqual([later]);
  });
});
