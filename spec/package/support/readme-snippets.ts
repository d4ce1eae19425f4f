/** The bodies of the README's ```ts code blocks, in order. */
export function typeScriptSnippetsOf(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}
