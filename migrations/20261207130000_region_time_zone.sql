-- A region's IANA time zone (e.g. Europe/Andorra). When set, local dates,
-- shifts and lunch windows follow it, daylight saving included, and
-- utc_offset_s is only the fallback for regions registered without one.
ALTER TABLE regions ADD COLUMN time_zone text
    CHECK (time_zone IS NULL OR (length(time_zone) BETWEEN 1 AND 64));
