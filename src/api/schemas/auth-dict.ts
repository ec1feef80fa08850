/**
 * The `auth` dict of User-Interactive Authentication as request bodies carry it: `type` and
 * `session`, plus whatever fields the stage needs (`password`, `identifier`, `token`), which the
 * UIA service checks itself. Extra fields must survive validation, hence `additionalProperties`.
 */
import { t } from "elysia";

export const AuthDict = t.Object(
  { type: t.Optional(t.String()), session: t.Optional(t.String()) },
  { additionalProperties: true },
);
