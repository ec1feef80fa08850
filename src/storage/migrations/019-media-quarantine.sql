-- Media an admin quarantined (admin API): not served to anyone, local or remote, until released.
ALTER TABLE media ADD COLUMN quarantined_by TEXT;
