// Vitest's asymmetric matchers, typed as the value each stands for. Vitest types them
// `any` so they fit any field of an expected value; these keep an expected value typed,
// so the linter's no-unsafe rules stay meaningful in the tests that build one.
import { expect } from 'vitest';

export const stringMatching = (pattern: RegExp | string): string => expect.stringMatching(pattern) as string;
export const stringContaining = (part: string): string => expect.stringContaining(part) as string;
export const anyNumber = (): number => expect.any(Number) as number;
export const anyString = (): string => expect.any(String) as string;
export const objectContaining = <T extends object>(part: T): T => expect.objectContaining<unknown>(part) as T;
export const arrayContaining = <T>(items: T[]): T[] => expect.arrayContaining<unknown>(items) as T[];
export const closeTo = (n: number, digits?: number): number => expect.closeTo(n, digits) as number;
