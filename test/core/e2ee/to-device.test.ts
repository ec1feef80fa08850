// The messages map of /sendToDevice and m.direct_to_device: user ids, device ids (or *), object
// contents; refusals name the field.
import { expect, test } from "bun:test";
import { checkToDeviceMessages } from "../../../src/core";

test("reads every (user, device) pair, * included", () => {
  const result = checkToDeviceMessages({ "@a:x.test": { D1: { n: 1 }, "*": { n: 2 } }, "@b:y.test": { D2: {} } });
  expect(result.ok && result.value).toEqual([
    { userId: "@a:x.test", deviceId: "D1", content: { n: 1 } },
    { userId: "@a:x.test", deviceId: "*", content: { n: 2 } },
    { userId: "@b:y.test", deviceId: "D2", content: {} },
  ]);
});

test.each([
  ["not an object", null, "messages", "M_BAD_JSON"],
  ["not a user id", { alice: { D: {} } }, "messages.alice", "M_INVALID_PARAM"],
  ["devices not an object", { "@a:x.test": [] }, 'messages["@a:x.test"]', "M_BAD_JSON"],
  ["content not an object", { "@a:x.test": { D: "hi" } }, 'messages["@a:x.test"].D', "M_BAD_JSON"],
  ["an empty device id", { "@a:x.test": { "": {} } }, 'messages["@a:x.test"][""]', "M_INVALID_PARAM"],
])("refuses %s", (_, value, field, errcode) => {
  const result = checkToDeviceMessages(value);
  expect(!result.ok && result.problem).toMatchObject({ errcode, field });
});
