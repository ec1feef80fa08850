/** A realistic ~1 KB room message PDU (room version 12 shape) for the benchmarks. */

import type { Pdu } from "../src/core/types.ts";

export const samplePdu: Pdu = {
  auth_events: [
    "$Xd1YRT3nFqHkMq2yFBeBgBPXpgyf9xDqGvy6EJdlGbY",
    "$hQbP1Cx3nbHFx9NkqtO7qDe6xdjnCM_qXEYvbRBc9qY",
    "$ZD2dP8x_wJmjWmjzVfmdvHxzmWqQpgZqyVoKrkOYUtA",
  ],
  content: {
    body: "Hello there, this is a message body of moderate length with some words in it. Ünïcödé too: 日本語 🎉",
    format: "org.matrix.custom.html",
    formatted_body: "<b>Hello</b> there, this is a message body of moderate length",
    "m.mentions": { user_ids: ["@bob:example.org"] },
    msgtype: "m.text",
  },
  depth: 1234,
  hashes: { sha256: "5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos" },
  origin_server_ts: 1712345678901,
  prev_events: ["$aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_abcde"],
  room_id: "!Nhcu5BS-UMnFX7hBVfVSoXiD7OgH6iRT-xyIuqDnpYQ",
  sender: "@alice:example.org",
  signatures: {
    "example.org": {
      "ed25519:a_Abcd": "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
    },
  },
  type: "m.room.message",
  unsigned: { age_ts: 1712345678901, transaction_id: "m1712345678901.0" },
};
