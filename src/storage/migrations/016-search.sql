-- Full-text search over room events (spec "Server Side Search"): one row per searchable event,
-- its rowid the event's stream ordering, one column per searchable key (`content.body` of
-- m.room.message, `content.name` of m.room.name, `content.topic` of m.room.topic). Contentless:
-- the text lives in the event, the index keeps only tokens. unicode61 folds case and accents;
-- CJK text arrives with its characters spaced apart (core/search/text.ts).
CREATE VIRTUAL TABLE event_search USING fts5(
  body, name, topic,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- The room of each indexed event, in a narrow table by stream ordering (`room` is the rooms row's
-- rowid): a search keeps the hits in the searcher's rooms without reading the wide event rows,
-- which made common words slow (bench/search.bench.ts).
CREATE TABLE event_search_rooms (
  stream INTEGER PRIMARY KEY,
  room   INTEGER NOT NULL
) STRICT;

-- A redacted event leaves the index, whichever path applied the redaction.
CREATE TRIGGER event_search_redacted AFTER UPDATE OF redacted_by ON events
WHEN NEW.redacted_by IS NOT NULL AND OLD.redacted_by IS NULL
BEGIN
  DELETE FROM event_search WHERE rowid = NEW.stream_ordering;
  DELETE FROM event_search_rooms WHERE stream = NEW.stream_ordering;
END;
