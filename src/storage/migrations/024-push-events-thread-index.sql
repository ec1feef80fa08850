-- The by-thread index of notifying events now holds thread events only: the main timeline, where
-- most events go, is read through the by-room index, which also covers it (its recounts start at
-- the position just read, so the rows of other threads they step over are the few after it). Each
-- main-timeline event wrote a leaf of this index per room per commit: ~1.3 of a message's pages.
DROP INDEX push_events_by_thread;
CREATE INDEX push_events_by_thread ON push_events(room_id, thread_id, stream_ordering) WHERE thread_id <> 'main';
