-- OpenID tokens (client-server "OpenID", server-server /openid/userinfo): short-lived tokens a user
-- hands to a third party, which asks our server who they belong to. Stored as SHA-256 hashes.
CREATE TABLE openid_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(user_id),
  expires_ts INTEGER NOT NULL
) STRICT;
CREATE INDEX openid_tokens_by_expiry ON openid_tokens(expires_ts);
