import { describe, expect, it } from 'vitest';
import { interpretBatchResponse } from '../local/runner/index.ts';

// Sequence numbers of different lengths: the lowest must be found numerically.
const seqs = ['9', '10', '11', '100'];

describe('reading a partial batch response as Lambda does', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['an empty object', {}],
    ['an empty list', { batchItemFailures: [] }],
    ['a null list', { batchItemFailures: null }],
  ])('treats %s as full success', (_, response) => {
    expect(interpretBatchResponse(response, seqs)).toEqual({ kind: 'success' });
  });

  it.each([
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a misspelt key', { batchItemFailures: [{ itemIdentfier: '10' }] }],
    ['a sequence number not in the batch', { batchItemFailures: [{ itemIdentifier: '12' }] }],
    ['a list that is not a list', { batchItemFailures: 'x' }],
    ['a string response', 'ok'],
  ])('treats %s as full failure', (_, response) => {
    expect(interpretBatchResponse(response, seqs).kind).toBe('failure');
  });

  it('resumes at the numerically lowest reported sequence number', () => {
    const response = { batchItemFailures: [{ itemIdentifier: '100' }, { itemIdentifier: '10' }, { itemIdentifier: '11' }] };

    expect(interpretBatchResponse(response, seqs)).toEqual({ kind: 'partial', fromIndex: 1 });
  });
});
