-- Nothing reads the prev-event edges (an event's prev_events are in its PDU, the extremities in
-- forward_extremities), and keyed by hashes each event's edge cost a random b-tree leaf per commit:
-- ~2.4 of the ~18 pages a message wrote.
DROP TABLE event_edges;
