-- Each version's files (its sheet, plan, results workbook, summary and
-- rows), so that app instances share them without a shared folder.
CREATE TABLE app_files (
    batch   text NOT NULL,
    version integer NOT NULL,
    name    text NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (batch, version, name)
);
