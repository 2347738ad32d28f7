"""The two store schemas define the same thing, version by version.

src/store/schema.sqlite.sql and src/store/schema.pg.sql are the same
numbered migrations in two dialects. For each "-- version N" block this
compares what the block creates or changes in both files: the tables and
their columns (in order, with their type class, NOT NULL, PRIMARY KEY,
UNIQUE, DEFAULT and REFERENCES), the table constraints (UNIQUE,
PRIMARY KEY lists) and the indexes (name, table, UNIQUE, columns, WHERE).
TAP output, one test per version and one for the list of versions.

Usage: schema-parity.py SQLITE_SQL PG_SQL

What may differ by dialect, and nothing else:
- types: SQLite INTEGER is PostgreSQL BIGINT (class int), BLOB is BYTEA
  (bytes), TEXT is TEXT (text);
- COLLATE "C" on PostgreSQL text (SQLite compares bytewise already);
- PostgreSQL identity columns (GENERATED ... AS IDENTITY) stand for
  SQLite's INTEGER PRIMARY KEY and implicit rowid: a PostgreSQL column
  named rowid of class int is SQLite's implicit rowid, so it is only
  expected on the PostgreSQL side;
- an UPDATE of a data migration: the same table and the columns it sets
  (its values may be written with each dialect's JSON functions).
"""
import re
import sys

TYPES = {
    "sqlite": {"INTEGER": "int", "BLOB": "bytes", "TEXT": "text"},
    "pg": {"BIGINT": "int", "BYTEA": "bytes", "TEXT": "text"},
}
IMPLICIT = {"pg": "rowid"}   # a column the other dialect has without saying


def strip_comments(text):
    """SQL without -- comments (none of ours stands inside a string)."""
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def blocks(text):
    """{version: SQL} of the "-- version N" blocks, in file order."""
    out = {}
    cur = None
    for line in text.splitlines():
        m = re.match(r"--\s*version\s+(\d+)\s*$", line)
        if m:
            cur = int(m.group(1))
            if cur in out:
                raise ValueError("version %d given twice" % cur)
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return {v: strip_comments("\n".join(lines)) for v, lines in out.items()}


def split_top(body):
    """body split at the commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [" ".join(p.split()) for p in parts if p.strip()]


def norm(s):
    return " ".join(s.replace("( ", "(").replace(" )", ")").split())


def column(item, dialect, table):
    """(name, description) of one column definition."""
    words = item.split()
    name, rest = words[0], " ".join(words[1:])
    kind = words[1].upper() if len(words) > 1 else ""
    if kind not in TYPES[dialect]:
        raise ValueError("%s.%s: type %s is not in the %s mapping" % (table, name, kind, dialect))
    up = rest.upper()
    up = re.sub(r'COLLATE\s+"C"', "", up) if dialect == "pg" else up
    identity = "AS IDENTITY" in up
    up = re.sub(r"GENERATED (ALWAYS|BY DEFAULT) AS IDENTITY", "", up)
    rest = re.sub(r"GENERATED (ALWAYS|BY DEFAULT) AS IDENTITY", "", rest, flags=re.I)
    flags = [TYPES[dialect][kind]]
    if "PRIMARY KEY" in up:
        flags.append("primary key")
    if re.search(r"\bUNIQUE\b", up):
        flags.append("unique")
    if "NOT NULL" in up:
        flags.append("not null")
    m = re.search(r"\bDEFAULT\s+('[^']*'|\S+)", rest, re.I)
    if m:
        flags.append("default " + m.group(1))
    m = re.search(r"\bREFERENCES\s+(\w+)\s*\(([^)]*)\)", rest, re.I)
    if m:
        flags.append("references %s(%s)" % (m.group(1), norm(m.group(2))))
    m = re.search(r"\bCHECK\s*(\(.*\))", rest, re.I)
    if m:
        flags.append("check " + norm(m.group(1)))
    if dialect == "sqlite" and flags[0] == "int" and "primary key" in flags:
        identity = True   # INTEGER PRIMARY KEY: the rowid, numbered by SQLite
    if identity:
        flags.append("numbered")
    return name, " ".join(flags)


def parse(sql, dialect):
    """What one block defines: {"table T": [...], "index I": ..., ...}."""
    found = {}
    for stmt in sql.split(";"):
        stmt = " ".join(stmt.split())
        if not stmt:
            continue
        m = re.match(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+) \((.*)\)$", stmt, re.I)
        if m:
            table, cols, cons = m.group(1), [], []
            for item in split_top(m.group(2)):
                if re.match(r"(PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|CONSTRAINT)\b", item, re.I):
                    cons.append(norm(item))
                    continue
                name, desc = column(item, dialect, table)
                if name == IMPLICIT.get(dialect) and desc.startswith("int"):
                    continue
                cols.append("%s %s" % (name, desc))
            found["table " + table] = cols + ["constraint " + c for c in sorted(cons)]
            continue
        m = re.match(r"ALTER TABLE (\w+) ADD COLUMN (.*)$", stmt, re.I)
        if m:
            name, desc = column(m.group(2), dialect, m.group(1))
            found.setdefault("alter " + m.group(1), []).append("add %s %s" % (name, desc))
            continue
        m = re.match(r"CREATE (UNIQUE )?INDEX (?:IF NOT EXISTS )?(\w+) ON (\w+) ?\(([^)]*)\)(.*)$",
                     stmt, re.I)
        if m:
            found["index " + m.group(2)] = ["%son %s (%s)%s" % (
                "unique " if m.group(1) else "", m.group(3), norm(m.group(4)),
                " " + norm(m.group(5)) if m.group(5).strip() else "")]
            continue
        m = re.match(r"DROP (TABLE|INDEX) (?:IF EXISTS )?(\w+)$", stmt, re.I)
        if m:
            found["drop %s %s" % (m.group(1).lower(), m.group(2))] = []
            continue
        # A data migration filling columns: the same table and columns in
        # both; the values may use each dialect's own (JSON) functions.
        m = re.match(r"UPDATE (\w+) SET (.*)$", stmt, re.I)
        if m:
            cols = re.findall(r"(?:^|,)\s*(\w+)\s*=", m.group(2))
            found.setdefault("updates", []).append("update %s set %s" % (
                m.group(1), ", ".join(cols)))
            continue
        # Anything else: the same statement in both.
        found.setdefault("statements", []).append(norm(stmt))
    return found


def compare(a, b):
    """The differences between two parsed blocks, as lines."""
    out = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            out.append("%s: only in sqlite" % key)
        elif key not in a:
            out.append("%s: only in pg" % key)
        elif a[key] != b[key]:
            for i in range(max(len(a[key]), len(b[key]))):
                x = a[key][i] if i < len(a[key]) else "(nothing)"
                y = b[key][i] if i < len(b[key]) else "(nothing)"
                if x != y:
                    out.append("%s: sqlite has %r, pg has %r" % (key, x, y))
                    break
    return out


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: schema-parity.py SQLITE_SQL PG_SQL\n")
        return 2
    with open(argv[1]) as f:
        lite = blocks(f.read())
    with open(argv[2]) as f:
        pg = blocks(f.read())
    versions = sorted(set(lite) | set(pg))
    print("1..%d" % (len(versions) + 1))
    bad = 0
    same = list(lite) == list(pg) and list(lite) == list(range(1, len(lite) + 1))
    print("%s 1 - versions 1 to %d, in order, in both (sqlite %s, pg %s)" % (
        "ok" if same else "not ok", len(versions), list(lite), list(pg)))
    bad += not same
    for n, v in enumerate(versions, 2):
        try:
            diff = compare(parse(lite.get(v, ""), "sqlite"), parse(pg.get(v, ""), "pg"))
        except ValueError as e:
            diff = [str(e)]
        what = parse(lite.get(v, ""), "sqlite") if not diff else {}
        print("%s %d - version %d: the same tables, columns and indexes%s" % (
            "not ok" if diff else "ok", n, v,
            "" if diff else " (%d definitions)" % len(what)))
        for line in diff:
            print("#   " + line)
        bad += bool(diff)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
