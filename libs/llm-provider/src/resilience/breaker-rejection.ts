/** opossum's rejection while a breaker is open (or half-open with its trial call under way). */
export function isBreakerRejection(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'EOPENBREAKER';
}
