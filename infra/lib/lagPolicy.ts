// How long a consumer may fall behind before someone hears of it, and before Lambda
// gives up on a batch, both derived from how long the stream keeps records: a batch
// given up on goes to the on-failure queue (shard and sequence range) while its
// records can still be read again, and the lag alarm fires well before that.
import { Duration } from 'aws-cdk-lib';
import { InfraConfigError } from './errors.ts';

/** Lambda's range for MaximumRecordAgeInSeconds, besides -1 (aws-semantics.md). */
export const RECORD_AGE_SECONDS = { min: 60, max: 604_800 } as const;

export interface LagPolicy {
  /** Oldest record Lambda still delivers; older batches go to the on-failure queue. */
  readonly maxRecordAge: Duration;
  /** Consumer lag (iterator age) that raises the alarm. */
  readonly iteratorAgeAlarm: Duration;
  /** Time left to re-read a given-up batch from the stream before it expires. */
  readonly rereadWindow: Duration;
}

/**
 * For a stream retention R: records older than 3/4 R (at most Lambda's 7 days) go
 * to the on-failure queue, leaving at least R/4 to re-read them; the lag alarm
 * fires at R/4, or at half the record age when Lambda's 7-day cap binds, so there is
 * always at least as long again to act before any batch is given up.
 * At the default 24 h: alarm at 6 h of lag, give up at 18 h, 6 h to re-read.
 */
export function lagPolicy(retention: Duration): LagPolicy {
  const retentionS = retention.toSeconds();
  const maxRecordAgeS = Math.min(Math.floor((retentionS * 3) / 4), RECORD_AGE_SECONDS.max);
  return {
    maxRecordAge: Duration.seconds(maxRecordAgeS),
    iteratorAgeAlarm: Duration.seconds(Math.min(Math.floor(retentionS / 4), Math.floor(maxRecordAgeS / 2))),
    rereadWindow: Duration.seconds(retentionS - maxRecordAgeS),
  };
}

/**
 * Refuses a record age that lets records expire from the stream before Lambda
 * gives up on them (they would be skipped with no failure record), or an alarm
 * that would only fire after batches were given up on.
 */
export function checkLagSettings(retention: Duration, maxRecordAge: Duration | undefined, iteratorAgeAlarm: Duration | undefined): void {
  const retentionS = retention.toSeconds();
  if (maxRecordAge !== undefined) {
    const age = maxRecordAge.toSeconds();
    if (age < RECORD_AGE_SECONDS.min || age > RECORD_AGE_SECONDS.max) {
      throw new InfraConfigError('maxRecordAge', `must be ${RECORD_AGE_SECONDS.min}..${RECORD_AGE_SECONDS.max} s, got ${age}`);
    }
    if (age >= retentionS) {
      throw new InfraConfigError('maxRecordAge', `must be shorter than the stream's retention (${retentionS} s), or records expire unseen; got ${age} s`);
    }
  }
  if (iteratorAgeAlarm !== undefined) {
    const limit = maxRecordAge?.toSeconds() ?? retentionS;
    if (iteratorAgeAlarm.toSeconds() >= limit) {
      throw new InfraConfigError('maxIteratorAge', `must be below the record age at which batches are given up (${limit} s), got ${iteratorAgeAlarm.toSeconds()} s`);
    }
  }
}
