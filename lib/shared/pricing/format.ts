/** A cost for people: four decimals below a dollar (runs cost fractions of a cent), two above. */
export function formatUsd(usd: number): string {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}
