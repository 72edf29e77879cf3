/** The AWS SDK shapes we touch. */

export type Input = Record<string, unknown>;
