-- A reply's wait for the answering-machine verdict, apart from the recogniser's final: on an outbound call the
-- callee's first turn is held until our detector (or the carrier's) says a person answered, which took up to the
-- detector's 800 ms pause and was counted as the recogniser's time. Rows kept before this column have 0.
ALTER TABLE turn_latencies
    ADD COLUMN machine_detection_ms bigint NOT NULL DEFAULT 0 CHECK (machine_detection_ms >= 0);
