"""Errors about reading and writing scenario files: CSV, Parquet and .xlsx packages (engine/io)."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # engine/io/sheets.py
    "sheets.xls_renamed": (
        "{path}: not a readable workbook: this is an old-format .xls workbook saved with an .xlsx name; "
        "rename it to .xls, or open it and save it as .xlsx",
        "{path}：无法读取的工作簿：这是以 .xlsx 命名的旧格式 .xls 工作簿；请改名为 .xls，或打开后另存为 .xlsx"),
    "sheets.csv_as_xlsx": (
        "{path}: not a readable workbook: this is CSV text; an .xlsx file is a zip archive. Rename it to .csv.",
        "{path}：无法读取的工作簿：这是 CSV 文本，而 .xlsx 文件是 zip 压缩包。请改名为 .csv。"),
    "sheets.not_zip": (
        "{path}: not a readable workbook: this is not an .xlsx workbook (no zip header); an .xlsx file is a zip "
        "archive. Was it renamed or damaged?",
        "{path}：无法读取的工作簿：这不是 .xlsx 工作簿（没有 zip 文件头），而 .xlsx 文件是 zip 压缩包。"
        "文件是否被改名或已损坏？"),
    "sheets.csv_empty": (
        "{path}: the file is empty; row 1 must hold the column names",
        "{path}：文件为空；第 1 行须为列名"),
    "sheets.csv_unreadable": ("{path}: not a readable CSV file ({reason})", "{path}：无法读取的 CSV 文件（{reason}）"),
    "sheets.csv_no_rows": (
        "{path}: the header (row 1) has no scenario rows under it; put one scenario per line below the column "
        "names (see `llmplan template`)",
        "{path}：表头（第 1 行）下没有场景行；请在列名下方每行写一个场景（见 `llmplan template`）"),
    "sheets.csv_long_field": (
        "{path}: a field holds {longest:,} characters (llmplan reads fields up to {limit:,}); "
        "is this a scenario table?",
        "{path}：某个字段有 {longest:,} 个字符（llmplan 最多读取 {limit:,} 个）；这是场景表吗？"),
    "sheets.bad_utf16": (
        "{path}: starts like UTF-16 text but cannot be decoded as UTF-16; save it as UTF-8 CSV",
        "{path}：开头像 UTF-16 文本，但无法按 UTF-16 解码；请另存为 UTF-8 CSV"),
    "sheets.not_utf8": (
        "{path}:{line}: the text is neither UTF-8 nor GBK; save the file as \"CSV UTF-8\"",
        "{path}:{line}：该文本既不是 UTF-8 也不是 GBK；请另存为“CSV UTF-8”"),
    "sheets.utf16_no_bom": (
        "{path}: this looks like UTF-16 text without a byte-order mark (every other byte is 0); "
        "save it as \"CSV UTF-8\"",
        "{path}：这像是没有字节顺序标记的 UTF-16 文本（每隔一个字节为 0）；请另存为“CSV UTF-8”"),
    "sheets.read_as_separator": (
        "{name}: read as {separator}-separated values", "{name}：按{separator}分隔的值读取"),
    "sheets.semicolon": ("semicolon", "分号"),
    "sheets.tab": ("tab", "制表符"),
    "sheets.read_as_encoding": ("{name}: read as {encoding} text", "{name}：按 {encoding} 文本读取"),
    "sheets.parquet_unreadable": (
        "{path}: not a readable Parquet file ({reason})", "{path}：无法读取的 Parquet 文件（{reason}）"),
    "sheets.parquet_no_columns": ("{path}: the Parquet file has no columns", "{path}：该 Parquet 文件没有列"),
    "sheets.parquet_no_rows": (
        "{path}: the Parquet file has columns but no rows; put one scenario per row",
        "{path}：该 Parquet 文件有列但没有行；请每行写一个场景"),
    "sheets.sheet_unreadable": ("{where}: cannot be read ({reason})", "{where}：无法读取（{reason}）"),
    "sheets.sheet_no_rows": (
        "{where}: the header (row {row}) has no scenario rows under it; put one scenario per row below the "
        "variable names (see `llmplan template`)",
        "{where}：表头（第 {row} 行）下没有场景行；请在变量名下方每行写一个场景（见 `llmplan template`）"),
    "sheets.where_sheet": ("{path} sheet {sheet!r}", "{path} 的工作表 {sheet!r}"),
    # engine/io/xlsx_scan.py
    "sheets.row_xml_too_large": (
        "{where}: one row of the sheet's XML is larger than {limit} MB; llmplan reads rows up to that size",
        "{where}：工作表 XML 中有一行超过 {limit} MB；llmplan 只读取不超过此大小的行"),
    "sheets.workbook_xml": (
        "{path}: not a readable workbook: xl/workbook.xml cannot be parsed ({reason}), so its cells cannot be "
        "checked",
        "{path}：无法读取的工作簿：无法解析 xl/workbook.xml（{reason}），因此无法检查其单元格"),
    # engine/io/package_guard.py
    "sheets.refused_package": ("{path}: not a readable workbook: {why}", "{path}：无法读取的工作簿：{why}"),
    "sheets.too_many_parts": (
        "it holds {count:,} parts (at most {limit:,})",
        "它包含 {count:,} 个部件（最多 {limit:,} 个）"),
    "sheets.too_large_total": (
        "its parts decompress to more than {limit:,} MB (a zip bomb, or a workbook too large for llmplan; "
        "use .csv or .parquet)",
        "其部件解压后超过 {limit:,} MB（zip 炸弹，或工作簿对 llmplan 而言过大；请改用 .csv 或 .parquet）"),
    "sheets.part_too_large": (
        "the part {part} decompresses to {size:,} bytes (at most {limit:,} MB per part)",
        "部件 {part} 解压后为 {size:,} 字节（每个部件最多 {limit:,} MB）"),
    "sheets.part_ratio": (
        "the part {part} is compressed {ratio:,} to 1 (at most {limit} to 1 above {floor} MB): a zip bomb",
        "部件 {part} 的压缩比为 {ratio:,} 比 1（超过 {floor} MB 时最多 {limit} 比 1）：这是 zip 炸弹"),
    "sheets.damaged_zip": (
        "{path}: not a readable workbook: the zip archive is damaged or truncated ({reason})",
        "{path}：无法读取的工作簿：zip 压缩包已损坏或不完整（{reason}）"),
    "sheets.dtd": (
        "{path}: not a readable workbook: the part {part} declares a DTD (<!DOCTYPE>), which .xlsx files never "
        "contain and which llmplan refuses (entity expansion); open the file in Excel or LibreOffice and save it "
        "again",
        "{path}：无法读取的工作簿：部件 {part} 声明了 DTD（<!DOCTYPE>），.xlsx 文件从不包含它，llmplan 也拒绝它"
        "（实体扩展）；请用 Excel 或 LibreOffice 打开后重新保存"),
    "sheets.part_over_limit": (
        "{path}: not a readable workbook: the part {part} decompresses to more than {limit:,} MB",
        "{path}：无法读取的工作簿：部件 {part} 解压后超过 {limit:,} MB"),
    "sheets.long_run": (
        "{path}: not a readable workbook: the part {part} holds a run of more than {limit:,} bytes of text or "
        "whitespace between two XML tags (an Excel cell holds at most 32,767 characters): a zip bomb or a "
        "damaged file",
        "{path}：无法读取的工作簿：部件 {part} 的两个 XML 标签之间有超过 {limit:,} 字节的连续文本或空白"
        "（一个 Excel 单元格最多 32,767 个字符）：这是 zip 炸弹或损坏的文件"),
    "sheets.encrypted": (
        "{path}: not a readable workbook: it is password-protected (an encrypted .xlsx); open it, remove the "
        "password (File > Info > Protect Workbook > Encrypt with Password, clear it) and save it again",
        "{path}：无法读取的工作簿：它受密码保护（加密的 .xlsx）；请打开它，删除密码（文件 > 信息 > 保护工作簿 > "
        "用密码进行加密，清空）后重新保存"),
    # engine/io/sheet_writing.py
    "sheets.cannot_write_suffix": (
        "{path}: cannot write {suffix}; use one of {suffixes}", "{path}：无法写入 {suffix}；请使用 {suffixes} 之一"),
    "sheets.no_extension": ("files without an extension", "无扩展名的文件"),
    "sheets.write_table_kinds": (
        "{path}: write_table handles .csv and .parquet", "{path}：write_table 只处理 .csv 和 .parquet"),
    # engine/io/sweep_output.py, workbook.py, xlsxdata.py
    "sheets.chunk_rows": ("--chunk-rows must be at least 1", "--chunk-rows 至少为 1"),
    "sheets.sweep_rows_xlsx": (
        "{path}: {rows:,} rows do not fit in an .xlsx sheet; write .parquet or .csv",
        "{path}：{rows:,} 行放不进一个 .xlsx 工作表；请写成 .parquet 或 .csv"),
    "sheets.too_many_columns": (
        "{path}: the results have {columns:,} columns (the input's and the answers); an .xlsx sheet holds at "
        "most {limit:,}; write .csv or .parquet",
        "{path}：结果有 {columns:,} 列（输入列和答案列）；一个 .xlsx 工作表最多 {limit:,} 列；请写成 .csv 或 .parquet"),
    "sheets.too_many_rows": (
        "{rows:,} rows do not fit in an .xlsx sheet (at most {limit:,}); write .csv or .parquet instead",
        "{rows:,} 行放不进一个 .xlsx 工作表（最多 {limit:,} 行）；请改写成 .csv 或 .parquet"),
    # engine/io/results_workbook.py
    "sheets.results_inputs": (
        "{problem} (a results workbook from `llmplan run` keeps the scenarios it was run on in its `{sheet}` sheet)",
        "{problem}（`llmplan run` 生成的结果工作簿把所用的场景保存在其 `{sheet}` 工作表中）"),
}
