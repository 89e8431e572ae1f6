// The EMF metrics every subscriber publishes (defineSubscriber), named once: the
// handler publishes them, the CDK app graphs them on each subscriber's dashboard row.

export const SUBSCRIBER_METRICS = {
  /** Events passed to the function (after the type filter). */
  eventsIn: 'EventsIn',
  /** Events the function returned as not handled, or every event of a batch it threw on. */
  eventsFailed: 'EventsFailed',
  /** Events skipped by the subscriber's type filter. */
  eventsFiltered: 'EventsFiltered',
  /** Poison records written to the quarantine. */
  eventsQuarantined: 'EventsQuarantined',
  /** Time the function took on the batch. */
  duration: 'SubscriberDuration',
} as const;
