/**
 * GET /_matrix/client/v3/pushrules/ — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrules
 * GET /_matrix/client/v3/pushrules/global/ — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrulesglobal
 * GET/PUT/DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleid
 * GET/PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidenabled
 * GET/PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3pushrulesglobalkindruleidactions
 * The path is read segment by segment from the raw URL, so a rule id holding an encoded `/` is
 * one (refused) id, and a malformed path gets a 400 saying which part is wrong.
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { invalidParam, unrecognized } from "../../services/matrix-error";
import { ruleKind, type RuleAttribute } from "../../services/push/rules";
import { clientAuth } from "../plugins/client-auth";

const PREFIX = "/_matrix/client/v3/pushrules/";

/** The decoded segments after `/pushrules/`: `[]` for the root, `["global", ""]` for the scope. */
function segments(url: string): string[] {
  const path = new URL(url).pathname;
  const rest = path.slice(path.indexOf(PREFIX) + PREFIX.length);
  if (rest === "") return [];
  return rest.split("/").map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw invalidParam(`'${s}' is not a valid path segment`);
    }
  });
}

function attributeOf(name: string): RuleAttribute {
  if (name !== "enabled" && name !== "actions") throw invalidParam(`Unknown push rule attribute '${name}': 'enabled' or 'actions'`);
  return name;
}

/** `global/{kind}/{ruleId}[/{attribute}]`, checked. */
function ruleTarget(parts: string[]) {
  if (parts.length < 3 || parts.length > 4) throw invalidParam("Expected /pushrules/global/{kind}/{ruleId}");
  const [scope, kind, ruleId, attribute] = parts as [string, string, string, string | undefined];
  const checkedKind = ruleKind(scope, kind);
  if (ruleId === "") throw invalidParam("The rule id is empty");
  return { kind: checkedKind, ruleId, attribute: attribute === undefined ? undefined : attributeOf(attribute) };
}

export const pushRulesRoutes = ({ accounts, push }: Services) =>
  new Elysia()
    .use(clientAuth(accounts.tokens))
    .get(
      `${PREFIX}*`,
      ({ requester, request }) => {
        const parts = segments(request.url);
        if (parts.length === 0) return { global: push.rules.ruleSet(requester.userId) };
        if (parts.length === 2 && parts[1] === "") {
          ruleKind(parts[0]!, "override");
          return push.rules.ruleSet(requester.userId);
        }
        // One kind's rules (`/pushrules/global/room/`): not in the spec, but Synapse serves it and
        // clients and SyTest read it.
        if (parts.length === 3 && parts[2] === "") return push.rules.ruleSet(requester.userId)[ruleKind(parts[0]!, parts[1]!)];
        if (parts.length < 3) throw invalidParam("Expected /pushrules/, /pushrules/global/ or /pushrules/global/{kind}/{ruleId}");
        const { kind, ruleId, attribute } = ruleTarget(parts);
        return attribute === undefined
          ? push.rules.getRule(requester.userId, kind, ruleId)
          : push.rules.getAttribute(requester.userId, kind, ruleId, attribute);
      },
      { auth: true },
    )
    .put(
      `${PREFIX}*`,
      ({ requester, request, body, query }) => {
        const { kind, ruleId, attribute } = ruleTarget(segments(request.url));
        if (attribute === undefined) push.rules.putRule(requester.userId, kind, ruleId, body, { before: query.before, after: query.after });
        else push.rules.setAttribute(requester.userId, kind, ruleId, attribute, body);
        return {};
      },
      { auth: true },
    )
    .delete(
      `${PREFIX}*`,
      ({ requester, request }) => {
        const { kind, ruleId, attribute } = ruleTarget(segments(request.url));
        if (attribute !== undefined) throw unrecognized(`DELETE is not supported on a rule's ${attribute}`, 405);
        push.rules.deleteRule(requester.userId, kind, ruleId);
        return {};
      },
      { auth: true },
    );
