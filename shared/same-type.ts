/**
 * Compile-time proof that a schema's inferred type and the interface it stands for are the same (the same
 * keys, optional where the other is, the same value types), so the next drift between shared/ and a zod
 * schema fails `tsc`: `export const checked: SameType<z.infer<typeof S>, T> = true;`
 */
export type SameType<A, B> =
  (<T>() => T extends Flat<A> ? 1 : 2) extends <T>() => T extends Flat<B> ? 1 : 2 ? true : false;

/** Resolves intersections and aliases to one object type, so only the shape is compared. */
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T;
