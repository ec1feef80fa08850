/**
 * End-to-end encryption, the parts the server checks: shapes and signatures of device keys,
 * one-time and fallback keys and cross-signing keys, send-to-device messages, and key backup
 * metadata with its replacement rule. The server never sees plaintext; it only refuses what is
 * malformed or not signed by the key that must sign it.
 */
export { isBase64Key, isSignedBy, type KeyCheck, type KeyErrcode, type KeyProblem } from "./key-check.ts";
export { checkDeviceKeys, type DeviceKeys, type KeyOwner } from "./device-keys.ts";
export { checkOneTimeKeys, type KeySigner, type UploadedKey } from "./one-time-keys.ts";
export { checkCrossSigningKey, crossSigningPublicKey, type CrossSigningKey, type CrossSigningUsage } from "./cross-signing.ts";
export {
  checkBackupKey,
  checkBackupRoomId,
  checkBackupRooms,
  checkBackupVersion,
  checkRoomBackup,
  checkSessionId,
  replacesBackupKey,
  type BackupKey,
  type BackupKeyRank,
  type BackupKeyUpload,
  type BackupVersionInfo,
} from "./key-backup.ts";
export { ALL_DEVICES, checkToDeviceMessages, type ToDeviceMessage } from "./to-device.ts";
