"""Texts about the values a person types: unknown names and keys, suggestions, units.

engine/solve/solver.py (variable names, targets) and engine/text/values.py (values) raise with them."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "values.unknown_variable": ("unknown variable {name!r}{hint}", "未知变量 {name!r}{hint}"),
    "values.did_you_mean_variable": ("; did you mean {names}?", "；是否想写 {names}？"),
    "values.framework_key": ("; that is {framework}'s name for {name}: write {name}=...",
                             "；这是 {framework} 中 {name} 的名称：请写 {name}=..."),
    "values.see_rules": ("; see `llmplan rules`", "；见 `llmplan rules`"),
    "values.categorical_target": (
        "{name} is a catalog key or convention; it is given, not solved (values: {values})",
        "{name} 是目录键或约定，只能给定、不能求解（可选值：{values}）"),
    "values.given_and_asked": (
        "{name} is both given and asked for; drop one of them",
        "{name} 既被给定又被求解；请去掉其中之一"),
    "values.no_target": ("name at least one variable to solve", "请至少指定一个要求解的变量"),
    "values.unknown_value": (
        "{name}: unknown value {value!r}.{hint} Known: {known} (see `llmplan catalog`)",
        "{name}：未知取值 {value!r}。{hint}可选值：{known}（见 `llmplan catalog`）"),
    "values.did_you_mean": (" Did you mean: {names}?", "是否想写：{names}？"),
    "values.not_a_number": (
        "{name}: {value!r} is not a number; expected e.g. {example}",
        "{name}：{value!r} 不是数字；应为例如 {example}"),
    "values.rate_needs_unit": (
        "{name}: {value!r} has no unit, and a link's speed is said in bits as often as in bytes: write "
        "{number}bps (bits per second, as NICs are sold: 400Gbps = 50 GB/s) or {number}B/s (bytes per second)",
        "{name}：{value!r} 没有单位，而链路速率既常以比特也常以字节表示：请写成 {number}bps（每秒比特，网卡按此标称："
        "400Gbps = 50 GB/s）或 {number}B/s（每秒字节）"),
    "values.unknown_unit": (
        "{name}: unknown unit {unit!r} in {value!r}; expected {expects}",
        "{name}：{value!r} 中的单位 {unit!r} 无法识别；应为{expects}"),
    "values.wrong_dimension": (
        "{name}: {value!r} is {dims}, but {name} expects {expects}",
        "{name}：{value!r} 的量纲是 {dims}，但 {name} 需要{expects}"),
    "values.write_name_value": (
        "{item!r}: write NAME=VALUE, e.g. params=7B",
        "{item!r}：请写成 名称=值，例如 params=7B"),
    "values.given_twice": (
        "{name} is given twice ({first!r} and {second!r})",
        "{name} 被给定了两次（{first!r} 与 {second!r}）"),
    "values.expects_plain": ("a plain number (e.g. 7B, 0.4, 40%)", "纯数字（例如 7B、0.4、40%）"),
    "values.expects_usd": (
        "a price in {unit}: llmplan prices in US dollars only, so convert other currencies to USD first "
        "(e.g. {example})",
        "以 {unit} 表示的价格：llmplan 只以美元计价，其他货币请先换算为美元（例如 {example}）"),
    "values.ambiguous_time_m": (
        "{name}: {value!r} is ambiguous for a time: m could be minutes ({number}min), months ({number}mo) or "
        "million ({million} {unit}s: write {number}e6); write the unit out",
        "{name}：{value!r} 用于时间时有歧义：m 可能是分钟（{number}min）、月（{number}mo）或百万"
        "（{million} {unit}s：请写 {number}e6）；请写出单位"),
    "values.ambiguous_zhao": (
        "{name}: {value!r} uses 兆, which has two readings: 10^6 (mega, as in 兆字节 = MB, mainland usage) and "
        "10^12 (万亿, Taiwan and traditional usage); write M or 百万 for 10^6, T or 万亿 for 10^12",
        "{name}：{value!r} 中的“兆”有两种含义：10^6（百万，大陆用法，如 兆字节 = MB）与 10^12（万亿，台湾及传统用法）；"
        "10^6 请写 M 或 百万，10^12 请写 T 或 万亿"),
    "values.expects_unit": ("a value in {unit} or another {dims} unit (e.g. {example})",
                            "以 {unit} 或其他 {dims} 单位表示的值（例如 {example}）"),
    "values.selectors_malformed": (
        "{where}: {variable} {key!r}: info.selectors must map a convention to one of its keys, "
        "e.g. {{head_dim_rule: free}}; found {found}",
        "{where}：{variable} {key!r}：info.selectors 应把约定映射到它的一个取值，例如 {{head_dim_rule: free}}；"
        "实际为 {found}"),
    "values.selectors_disagree": (
        "{name}={raw} implies {selector}={value} but {other}={other_raw} implies {selector}={other_value}; "
        "choose entries that agree",
        "{name}={raw} 意味着 {selector}={value}，但 {other}={other_raw} 意味着 {selector}={other_value}；"
        "请选择彼此一致的条目"),
    "values.selector_contradicted": (
        "{name}={raw} is for {selector}={value}, but {selector}={typed} was given; "
        "drop {selector}= or choose a {name} for {selector}={typed}",
        "{name}={raw} 适用于 {selector}={value}，但给定了 {selector}={typed}；"
        "请去掉 {selector}=，或选择适用于 {selector}={typed} 的 {name}"),
}
MESSAGES.update({
    # engine/text/values.py: reading a number or a key
    "values.control_chars": (
        "contains control or invisible formatting characters", "含有控制字符或不可见的格式字符"),
    "values.bad_text": ("{name}: {value!r} {problem}", "{name}：{value!r} {problem}"),
    "values.expected_number": ("{name}: expected a number, got {value!r}", "{name}：应为数字，实际为 {value!r}"),
    "values.number_too_large": ("{name}: {value}... is too large", "{name}：{value}... 过大"),
    "values.text_too_large": ("{name}: {value!r} is too large", "{name}：{value!r} 过大"),
    "values.too_long_number": (
        "{name}: value is {length} characters long; expected a number such as {example}",
        "{name}：取值长 {length} 个字符；应为数字，例如 {example}"),
    "values.too_long_key": (
        "{name}: value is {length} characters long; expected a key such as {examples}",
        "{name}：取值长 {length} 个字符；应为键，例如 {examples}"),
    "values.percent_needs_plain": (
        "{name}: a percentage needs a plain-number variable; {name} is in {unit}",
        "{name}：百分比只适用于纯数字变量；{name} 的单位是 {unit}"),
    "values.not_a_percentage": (
        "{name}: {value!r} is not a percentage; write e.g. 40%", "{name}：{value!r} 不是百分比；请写成例如 40%"),
    "values.not_finite": ("{name}: value must be finite, got {value}", "{name}：取值必须是有限数，实际为 {value}"),
    "values.must_be_positive": (
        "{name}: must be greater than 0, got {value:g}",
        "{name}：必须大于 0，实际为 {value:g}"),
    "values.must_not_be_negative": (
        "{name}: must not be negative, got {value:g}",
        "{name}：不能为负数，实际为 {value:g}"),
    "values.must_be_fraction": (
        "{name}: must be a fraction between 0 and 1 (or a percentage such as 40%), got {value:g}",
        "{name}：必须是 0 到 1 之间的比例（或百分比，例如 40%），实际为 {value:g}"),
    "values.must_be_whole": ("{name}: must be a whole number, got {value:g}", "{name}：必须是整数，实际为 {value:g}"),
})
MESSAGES.update({
    "values.categorical_given": (
        "{name} is a catalog key or convention; it is given, not solved", "{name} 是目录键或约定，只能给定、不能求解"),
    "values.nothing_called": ("nothing called {name!r}{hint}", "没有名为 {name!r} 的变量或规则{hint}"),
})
MESSAGES.update({
    "values.example_plain": ("7B or 0.4", "7B 或 0.4"),
})
