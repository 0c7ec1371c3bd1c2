"""Errors of `llmplan measure` (engine/tools/measure.py) and `llmplan convert` (engine/tools/convert)."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # measure
    "tools.needs_tokenizers": (
        "llmplan measure needs the Hugging Face `tokenizers` package: pip install 'llmplan[measure]' "
        "(or pip install tokenizers)",
        "llmplan measure 需要 Hugging Face 的 `tokenizers` 包：pip install 'llmplan[measure]'（或 pip install "
        "tokenizers）"),
    "tools.no_tokenizer": (
        "--tokenizer {path}: no such file (give a local tokenizer.json; nothing is downloaded)",
        "--tokenizer {path}：文件不存在（请给出本地的 tokenizer.json；llmplan 不下载任何东西）"),
    "tools.bad_tokenizer": (
        "--tokenizer {path}: not a Hugging Face tokenizer.json ({reason})",
        "--tokenizer {path}：不是 Hugging Face 的 tokenizer.json（{reason}）"),
    "tools.no_corpus": ("corpus {path}: no such file or folder", "语料 {path}：文件或文件夹不存在"),
    "tools.empty_corpus": (
        "no corpus files to measure (the folders given are empty)", "没有可测量的语料文件（给出的文件夹是空的）"),
    "tools.corpus_encoding": (
        "corpus {path}: not {encoding} text at byte {byte} ({reason}); give --encoding (e.g. gbk, utf-16)",
        "语料 {path}：第 {byte} 字节处不是 {encoding} 文本（{reason}）；请给出 --encoding（例如 gbk、utf-16）"),
    "tools.unknown_encoding": (
        "--encoding {encoding!r}: unknown text encoding",
        "--encoding {encoding!r}：未知的文本编码"),
    "tools.corpus_unreadable": ("corpus {path}: cannot read ({reason})", "语料 {path}：无法读取（{reason}）"),
    # convert: where to write
    "convert.source_not_dir": ("source {path} is not a directory", "源 {path} 不是目录"),
    "convert.dst_is_src": (
        "destination {dst} is the source directory; refusing to write into the source",
        "目标 {dst} 就是源目录；拒绝写入源目录"),
    "convert.dst_in_src": (
        "destination {dst} is inside the source {src}; refusing to write into the source",
        "目标 {dst} 位于源 {src} 之内；拒绝写入源目录"),
    "convert.dst_contains_src": (
        "destination {dst} contains the source {src}; choose a new directory",
        "目标 {dst} 包含源 {src}；请选一个新目录"),
    "convert.dst_not_dir": ("destination {dst} exists and is not a directory", "目标 {dst} 已存在且不是目录"),
    "convert.dst_not_empty": (
        "destination {dst} already exists and is not empty; refusing to overwrite",
        "目标 {dst} 已存在且非空；拒绝覆盖"),
    # convert: what the checkpoint holds
    "convert.no_weights": ("{path}: no {names} found{hint}", "{path}：找不到 {names}{hint}"),
    "convert.no_index_hint": (
        " (found {files} but no index naming them)", "（找到了 {files}，但没有列出它们的索引）"),
    "convert.two_formats": (
        "{path} holds both safetensors and PyTorch .bin weights; keep only one format in a copy of the checkpoint "
        "and convert that",
        "{path} 同时含有 safetensors 和 PyTorch .bin 权重；请在检查点的副本中只保留一种格式再转换"),
    "convert.two_layouts": (
        "{path} holds both {single} and {index}; it is unclear which weights are current",
        "{path} 同时含有 {single} 和 {index}；无法确定哪份权重是当前的"),
    "convert.index_too_large": (
        "{path}: {size:,} bytes is too large for an index JSON (at most {limit:,})",
        "{path}：{size:,} 字节，对索引 JSON 而言过大（最多 {limit:,}）"),
    "convert.index_unreadable": ("{path}: cannot read index JSON ({reason})", "{path}：无法读取索引 JSON（{reason}）"),
    "convert.index_too_deep": (
        "{path}: cannot read index JSON (nested too deeply; an index is {shape})",
        "{path}：无法读取索引 JSON（嵌套过深；索引的形式是 {shape}）"),
    "convert.no_weight_map": (
        "{path}: no \"weight_map\" object mapping tensor names to shard files",
        "{path}：没有把张量名映射到分片文件的 \"weight_map\" 对象"),
    "convert.shard_outside": (
        "{path}: shard name {shard!r} points outside the checkpoint directory",
        "{path}：分片名 {shard!r} 指向检查点目录之外"),
    "convert.shard_missing": (
        "{path}: names shard {shard!r}, which does not exist",
        "{path}：列出的分片 {shard!r} 不存在"),
    "convert.tensor_not_in_shard": (
        "{path}: says {name!r} is in {shard}, but that shard has no such tensor",
        "{path}：称 {name!r} 位于 {shard}，但该分片中没有这个张量"),
    "convert.no_head": (
        "{path}: no tensor named {head!r}, so this is not a Baichuan 2 checkpoint with a separate head "
        "({count} tensors; {label}: {names})",
        "{path}：没有名为 {head!r} 的张量，因此这不是带独立输出头的百川 2 检查点（共 {count} 个张量；{label}："
        "{names}）"),
    "convert.head_like": ("head/embedding-like tensors", "类似输出头/嵌入的张量"),
    "convert.tensors": ("tensors", "张量"),
    "convert.link_outside": (
        "{path}: a symbolic link to {target}, outside the checkpoint {root}; llmplan copies only what is inside SRC "
        "(a Hugging Face cache snapshot links to ../../blobs: copy it with `cp -rL SNAPSHOT SRC` and convert the copy)",
        "{path}：指向检查点 {root} 之外 {target} 的符号链接；llmplan 只复制 SRC 之内的内容（Hugging Face 缓存快照"
        "链接到 ../../blobs：请用 `cp -rL SNAPSHOT SRC` 复制后转换副本）"),
    "convert.not_regular": (
        "{path}: not a regular file (a pipe, socket or device, or a broken link); remove it from the checkpoint folder",
        "{path}：不是普通文件（管道、套接字、设备或失效的链接）；请把它从检查点文件夹中移除"),
    # convert: the head tensor and the files
    "convert.nonfinite": (
        "{path}: {head} has {rows} row(s) with NaN or inf values; refusing to convert",
        "{path}：{head} 有 {rows} 行含 NaN 或 inf 值；拒绝转换"),
    "convert.all_zero": ("{path}: {head} is all zeros; nothing to normalise", "{path}：{head} 全为零；无可归一化"),
    "convert.head_dtype": ("{path}: {head} has dtype {dtype}; supported: {supported}",
                           "{path}：{head} 的数据类型为 {dtype}；支持：{supported}"),
    "convert.head_shape": (
        "{path}: {head} has shape {shape}; expected a non-empty [vocab, hidden] matrix",
        "{path}：{head} 的形状为 {shape}；应为非空的 [vocab, hidden] 矩阵"),
    "convert.not_state_dict": (
        "{path}: does not hold a state dict (found {found})",
        "{path}：不含 state dict（实际为 {found}）"),
    "convert.cannot_load": (
        "{path}: cannot load as a PyTorch state dict ({reason})",
        "{path}：无法作为 PyTorch state dict 加载（{reason}）"),
    "convert.cannot_read": ("{path}: cannot read: {reason}", "{path}：无法读取：{reason}"),
    "convert.cannot_decode": (
        "cannot decode dtype {dtype} as floating point (supported: {supported})",
        "无法把数据类型 {dtype} 解码为浮点数（支持：{supported}）"),
    "convert.cannot_encode": (
        "cannot encode dtype {dtype} (supported: {supported})",
        "无法编码数据类型 {dtype}（支持：{supported}）"),
    "convert.not_safetensors": (
        "{path}: not a valid safetensors file: {problem}",
        "{path}：不是有效的 safetensors 文件：{problem}"),
    # convert: verification of what was written
    "convert.verify_header": (
        "verification failed: header of {dst} differs from the source", "校验失败：{dst} 的文件头与源不同"),
    "convert.verify_outside_head": (
        "verification failed: bytes outside {head} changed in {dst}", "校验失败：{dst} 中 {head} 以外的字节被改动"),
    "convert.verify_names": (
        "verification failed: tensor names in {dst} differ from the source", "校验失败：{dst} 中的张量名与源不同"),
    "convert.verify_tensor": (
        "verification failed: tensor {name!r} changed in {dst}",
        "校验失败：{dst} 中的张量 {name!r} 被改动"),
    "convert.verify_dtype_shape": (
        "verification failed: dtype or shape of {name!r} changed in {dst}",
        "校验失败：{dst} 中 {name!r} 的数据类型或形状被改动"),
    "convert.verify_copy": (
        "verification failed: copy of {path} differs from the source",
        "校验失败：{path} 的副本与源不同"),
    "convert.verify_no_change": (
        "verification failed: zero rows of {head} changed", "校验失败：{head} 没有任何一行被改动"),
    "convert.verify_norm": (
        "verification failed: a row of the new {head} has norm off by {deviation} (tolerance {tolerance})",
        "校验失败：新的 {head} 中有一行的范数偏差 {deviation}（容差 {tolerance}）"),
}
MESSAGES.update({
    # engine/cli/commands/convert.py: what `llmplan convert` prints
    "convert.error": ("error: {message}", "错误：{message}"),
    "convert.unknown_conversion": (
        "error: unknown conversion {name!r}; available: {available}", "错误：未知的转换 {name!r}；可用：{available}"),
    "convert.converted": (
        "Converted {src} -> {dst} (Baichuan 2 -> Baichuan 1).", "转换完成：{src} -> {dst}（百川 2 -> 百川 1）。"),
    "convert.dry_run": (
        "Dry run: nothing written. Converting {src} -> {dst} would change:",
        "试运行，未写入任何文件。转换 {src} -> {dst} 将改动："),
    "convert.already_normalised": (
        "lm_head.weight in {src} is already normalised (every non-zero row has norm 1 within {tolerance}); "
        "nothing to do, nothing written.",
        "{src} 中的 lm_head.weight 已归一化（每个非零行的范数在 {tolerance} 内等于 1）；无需转换，未写入任何文件。"),
    "convert.stats": (
        "min {min}, mean {mean}, max {max} over {rows} rows ({zero} zero)",
        "最小 {min}，平均 {mean}，最大 {max}，共 {rows} 行（{zero} 行为零）"),
    "convert.line_format": (
        "  format:      {format}, {count} weight file(s)",
        "  格式：        {format}，{count} 个权重文件"),
    "convert.line_head": (
        "  head:        {file} (tensor lm_head.weight, shape {shape}, {dtype})",
        "  输出头：      {file}（张量 lm_head.weight，形状 {shape}，{dtype}）"),
    "convert.line_norms": ("  row norms:   {stats}", "  行范数：      {stats}"),
    "convert.line_after": ("  after:       {stats}", "  转换后：      {stats}"),
    "convert.line_copied": (
        "  unchanged:   {count} other file(s) copied byte-for-byte", "  未改动：      其余 {count} 个文件已逐字节复制"),
    "convert.line_to_copy": (
        "  unchanged:   {count} other file(s) to copy byte-for-byte",
        "  未改动：      其余 {count} 个文件将逐字节复制"),
    "convert.line_verified": (
        "  verified:    head rows have unit norm (tolerance {tolerance}); other files identical (size + SHA-256)",
        "  已校验：      输出头各行范数为 1（容差 {tolerance}）；其余文件完全相同（大小 + SHA-256）"),
    "convert.line_note": ("  note:        {note}", "  注意：        {note}"),
    "convert.zero_rows": (
        "{rows} row(s) of {head} are all zero; a zero row has no direction, so it is left as zero",
        "{head} 有 {rows} 行全为零；零行没有方向，因此保持为零"),
})
