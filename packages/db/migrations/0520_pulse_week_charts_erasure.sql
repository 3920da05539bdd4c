-- Erasure of a person from the stored week charts (0511; pulse/erasure.ts): their id in
-- `people` and `managers` is replaced by a fresh random placeholder, so the charts keep their
-- shape (team sizes and who sits under whom, on which served cells were decided) and hold no
-- identifier of the person. Only those two columns may change; the week and taken_at never do.
GRANT UPDATE (people, managers) ON pulse_week_charts TO parapet_app;
