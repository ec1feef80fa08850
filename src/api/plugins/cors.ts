/**
 * CORS as the client-server spec asks: every response allows any origin, and an OPTIONS preflight
 * on any path is answered at once, so browser clients (Element, Hydrogen) can call us directly.
 */
import { Elysia } from "elysia";

export const corsHeaders: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
  "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization",
};

// Default headers are compiled into every route's response by Elysia (cheaper than copying them
// in a hook on each request).
export const cors = new Elysia({ name: "cors" })
  .headers(corsHeaders)
  .onRequest(({ request }) => {
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: corsHeaders });
  })
  .as("global");
