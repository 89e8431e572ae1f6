// How the local stack runs its parts as processes of their own.
export { forkEntry } from './forkEntry.ts';
