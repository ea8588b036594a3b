// Placeholder until implemented.
export const handler = async (): Promise<void> => {};
