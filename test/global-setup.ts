// Runs once before the suite: builds the small generated fixtures (idempotent, cached under test/.fixtures).
export default async function setup(): Promise<void> {
  const { ensureFixtures } = await import('../scripts/make-fixtures.js');
  await ensureFixtures();
}
