#!/usr/bin/env python3
"""Writes the workbooks of this folder by hand with zipfile (no spreadsheet library): two tiny
files that once made Conduct ask for gigabytes (found while fuzzing the workbook reader, see
README.md), and a published-shape .ods whose empty rows repeated to the end of the sheet, as
LibreOffice writes them, must still be read. Deterministic: run from this folder."""

import zipfile

MS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def put(z, name, data):
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def xlsx(path, sheet_xml):
    with zipfile.ZipFile(path, "w") as z:
        put(z, "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        put(z, "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        put(z, "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MS}" xmlns:r="{REL}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        put(z, "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        put(z, "xl/worksheets/sheet1.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MS}"><sheetData>{sheet_xml}</sheetData></worksheet>')


def ods(path, tables_xml):
    with zipfile.ZipFile(path, "w") as z:
        put(z, "mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        put(z, "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
        put(z, "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} office:version="1.2">'
            f'<office:body><office:spreadsheet>{tables_xml}</office:spreadsheet></office:body></office:document-content>')


def cell(v):
    if isinstance(v, int):
        return f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'


# A cell in A1 and one in XFD1048576: 1.5 kB, and a 17-billion-cell range (549 GB asked for).
xlsx("span-a1-to-xfd1048576.xlsx",
     '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
     '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')

# One row of 16,000 valued cells, repeated 6,000 times: under a kilobyte, 96 million cells.
ods("rows-repeated-6000x16000.ods",
    '<table:table table:name="S"><table:table-row table:number-rows-repeated="6000">'
    '<table:table-cell table:number-columns-repeated="16000" office:value-type="float" office:value="1">'
    '<text:p>1</text:p></table:table-cell></table:table-row></table:table>')

# A recorded-crime table as LibreOffice saves it: styled empty cells to column AMJ on every row,
# and empty rows repeated to the end of the sheet. 2 rows of 8 values: read, not refused.
header = ["Financial Year", "Financial Quarter", "Force Name", "Offence Description", "Offence Group",
          "Offence Subgroup", "Offence Code", "Number of Offences"]
row = ["2022/23", 1, "Merseyside", "Harassment", "Violence against the person", "Stalking and harassment", "8L", 2511]
pad = '<table:table-cell table:number-columns-repeated="1016" table:style-name="ce1"/>'
rows = "".join(f'<table:table-row>{"".join(cell(v) for v in r)}{pad}</table:table-row>' for r in [header, row])
ods("trailing-empty-rows.ods",
    f'<table:table table:name="2022-23">{rows}'
    f'<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    '</table:table>')
