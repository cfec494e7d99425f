#!/usr/bin/env python3
"""Writes the small seed workbooks of the workbook_reader fuzz target into
../corpus/workbook_reader/: a recorded-crime table and an outcomes table (both counts), each as
.ods and .xlsx, with a title row above the header, a notes sheet, a suppressed cell, a
non-force row and a bad row. Written by hand with zipfile (no spreadsheet library), a few
kilobytes each, so that the fuzzer mutates small inputs. Deterministic: run from this folder."""

import os
import zipfile
from xml.sax.saxutils import escape

RECORDED = [
    ["Recorded crime by police force area"],
    [],
    ["Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
     "Offence Subgroup", "Offence Code", "Number of Offences"],
    ["2022/23", 1, "Merseyside", "Harassment", "Violence against the person", "Stalking and harassment", "8L", 2511],
    ["2022/23", 2, "Merseyside", "Stalking", "Violence against the person", "Stalking and harassment", "8Q", ".."],
    ["2022/23", 2, "Action Fraud", "Harassment", "Violence against the person", "Stalking and harassment", "8L", 3],
    ["2022/23", 9, "Nowhere", "Harassment", "Violence against the person", "Stalking and harassment", "8L", -1],
    ["Source: Home Office"],
]
OUTCOMES = [
    ["Outcomes open data"],
    ["Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
     "Offence Subgroup", "Offence Code", "Outcome Description", "Outcome Group", "Outcome Type",
     "Force outcomes for offences recorded in quarter", "Force outcomes for offences closed in quarter"],
    ["2022/23", 1, "Metropolitan Police", "Harassment", "Violence against the person", "Stalking and harassment",
     "8L", "Charged or summonsed", "Charged/Summonsed", 1, 120, 98],
    ["2022/23", 1, "Metropolitan Police", "Harassment", "Violence against the person", "Stalking and harassment",
     "8L", "Evidential difficulties", "Evidential difficulties (victim does not support action)", 16, "..", 7],
]
NOTES = [["Notes"], ["Note 1: counts are of offences recorded."]]
MS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main'
REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'


def fixed(z, name, data):
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def col(i):
    return chr(ord("A") + i)


def xlsx(path, sheets):
    with zipfile.ZipFile(path, "w") as z:
        fixed(z, "[Content_Types].xml",
              '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
              '<Default Extension="xml" ContentType="application/xml"/>'
              '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
              + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for i in range(len(sheets))) + '</Types>')
        fixed(z, "_rels/.rels",
              '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        fixed(z, "xl/workbook.xml",
              f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MS}" xmlns:r="{REL}"><sheets>'
              + "".join(f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, (n, _) in enumerate(sheets))
              + '</sheets></workbook>')
        fixed(z, "xl/_rels/workbook.xml.rels",
              '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              + "".join(f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                        for i in range(len(sheets))) + '</Relationships>')
        for i, (_, rows) in enumerate(sheets):
            body = []
            for r, row in enumerate(rows):
                cells = []
                for c, v in enumerate(row):
                    ref = f"{col(c)}{r + 1}"
                    if isinstance(v, int):
                        cells.append(f'<c r="{ref}"><v>{v}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
                body.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
            fixed(z, f"xl/worksheets/sheet{i + 1}.xml",
                  f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MS}"><sheetData>{"".join(body)}</sheetData></worksheet>')


def ods(path, sheets):
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    tables = []
    for name, rows in sheets:
        body = []
        for row in rows:
            cells = []
            for v in row:
                if isinstance(v, int):
                    cells.append(f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>')
                else:
                    cells.append(f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>')
            body.append(f'<table:table-row>{"".join(cells) or "<table:table-cell/>"}</table:table-row>')
        tables.append(f'<table:table table:name="{escape(name)}">{"".join(body)}</table:table>')
    with zipfile.ZipFile(path, "w") as z:
        fixed(z, "mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        fixed(z, "META-INF/manifest.xml",
              '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
              '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
              '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
        fixed(z, "content.xml",
              f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
              f'<office:body><office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body></office:document-content>')


out = os.path.join("..", "corpus", "workbook_reader")
os.makedirs(out, exist_ok=True)
for stem, rows in [("recorded", RECORDED), ("outcomes", OUTCOMES)]:
    sheets = [("Notes", NOTES), ("2022-23", rows)]
    xlsx(os.path.join(out, f"seed-{stem}.xlsx"), sheets)
    ods(os.path.join(out, f"seed-{stem}.ods"), sheets)
