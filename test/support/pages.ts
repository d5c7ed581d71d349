/** Every page of a cursor-paged listing (listAccounts, listCredentialsPage), from `cursor` to the end. */
export async function everyPage<P extends { nextCursor?: string }>(
  list: (cursor?: string) => Promise<P>,
  cursor?: string,
): Promise<P[]> {
  const pages: P[] = [];
  do {
    const page = await list(cursor);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return pages;
}
