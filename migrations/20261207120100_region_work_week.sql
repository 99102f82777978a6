-- The weekdays a region's trucks collect on (Monday first). A bin's decision
-- looks ahead to the next of them: on a Friday the next pickup is Monday.
ALTER TABLE regions
    ADD COLUMN working_weekdays boolean[] NOT NULL DEFAULT '{t,t,t,t,t,f,f}'
        CHECK (cardinality(working_weekdays) = 7);
