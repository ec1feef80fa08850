-- Appservice room directories (spec "Application service room directories"): the rooms each
-- appservice published in its own list for one of its networks, apart from the main list
-- (`rooms.published`). A public rooms request names one list by `third_party_instance_id`.
CREATE TABLE appservice_room_lists (
  appservice_id TEXT NOT NULL,
  network_id    TEXT NOT NULL,
  room_id       TEXT NOT NULL,
  PRIMARY KEY (appservice_id, network_id, room_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX appservice_room_lists_by_room ON appservice_room_lists(room_id);
