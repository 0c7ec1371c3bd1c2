"""The planner's texts (issue #13): under-determined questions, contradictions, values outside
their domain, admissible whole numbers, catalog answers. key -> (English, Chinese); str.format
fields in braces, the same fields in both languages."""
from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "planner.joined": ("{parts}", "{parts}"),   # a head and its clauses, each said in the same language
    "planner.name": ("{name}", "{name}"),
    "planner.underdetermined": (
        "to solve {target} also give one of: {names}",
        "要求解 {target}，还需给出以下之一：{names}"),
    "planner.absent_figure": (
        "{figure} is missing: {selector}={value} reads it, and the {catalog} given has no such figure in the "
        "catalog, only {has} (for {selector}={other}). Give {selector}={other} if that is what you meant, or "
        "the figure yourself as one of {forms}. Otherwise, ",
        "缺少 {figure}：{selector}={value} 需要它，而所给的 {catalog} 在目录中没有该数值，只有 {has}"
        "（用于 {selector}={other}）。若本意如此请给出 {selector}={other}，或自行给出该数值（{forms} 之一）。此外，"),
    "planner.absent_figure.only": (
        "{figure} is missing: the {catalog} given has no such figure in the catalog, only {has} (for "
        "{selector}={other}, which does not answer this question). Give the figure yourself as one of {forms}. "
        "Otherwise, ",
        "缺少 {figure}：所给的 {catalog} 在目录中没有该数值，只有 {has}（用于 {selector}={other}，"
        "不能回答此问题）。请自行给出该数值（{forms} 之一）。此外，"),
    "planner.underdetermined.more": (
        " (or one of {count} more; see `llmplan explain {target}`)",
        "（或另外 {count} 个之一；见 `llmplan explain {target}`）"),
    "planner.underdetermined.others": (
        "; or several of the other values its rules use: {names}",
        "；或给出其规则用到的其他几个值：{names}"),
    "planner.underdetermined.banded": (
        "; or {first} together with one of: {names}",
        "；或同时给出 {first} 与以下之一：{names}"),
    "planner.underdetermined.pair": (
        "; or two of the other values its rules use together, such as {pair} (others: {names})",
        "；或同时给出其规则用到的另外两个值，例如 {pair}（其他：{names}）"),
    "planner.check_refused": ("{check}", "{check}"),
    "planner.underdetermined.answerable": (
        ". {names} can be answered from what was given: ask without {target} for them",
        "。{names} 已可由给定值求出：去掉 {target} 再问即可得到"),
    "planner.underdetermined.none": (
        "to solve {target} give more values; no single extra value is enough. "
        "Variables in the rules for {target}: {names}",
        "要求解 {target} 还需更多的值，单独再给一个不够。{target} 的规则涉及的变量：{names}"),
    "planner.suggestion": (
        "{name} ({label})",
        "{name}（{label}）"),
    "planner.suggestion.band": (
        "{name} ({label}; the seed's band is {low}–{high})",
        "{name}（{label}；参考范围 {low}–{high}）"),
    "planner.suggestion.value": (
        "{name} ({label}; the seed's value is {value})",
        "{name}（{label}；参考值 {value}）"),
    "planner.suggestion.catalog": (
        "; or give {catalog} (a catalog key such as {examples}): its entry has {figure}",
        "；或给出 {catalog}（目录中的键，例如 {examples}）：其条目含有 {figure}"),
    "planner.suggestion.catalog_answers": (
        "; or give {catalog} (a catalog key such as {examples}): its entry's figures answer {target}",
        "；或给出 {catalog}（目录中的键，例如 {examples}）：其条目中的数值即可推出 {target}"),
    "planner.suggestion.selector": (
        "; or choose {selector}={value}",
        "；或选择 {selector}={value}"),
    "planner.suggestion.selector_needs": (
        "; or choose {selector}={value} and give {names}: its rules derive {target} without guessing the "
        "value above",
        "；或选择 {selector}={value} 并给出 {names}：其规则无需估计上述值即可推出 {target}"),
    "planner.suggestion.selector_more": (
        "; or choose {selector}={value}: its rules derive {names} from more values (see `llmplan explain {names}`)",
        "；或选择 {selector}={value}：其规则可由更多的值推出 {names}（见 `llmplan explain {names}`）"),
    "planner.slow": (
        " (the search for what is missing stopped after {tries} tries, {seconds} s)",
        "（查找缺失值的搜索在尝试 {tries} 次、{seconds} 秒后停止）"),
    "planner.contradiction": (
        "given values contradict each other: by rule {rule} ({formula}), {left_name} is {left}, but the "
        "other values imply {right} (they differ by {gap}; tolerance {tolerance}); values: {values}. {drop}",
        "给定的值相互矛盾：按规则 {rule}（{formula}），{left_name} 为 {left}，而其他值推出 {right}"
        "（相差 {gap}；容差 {tolerance}）；涉及的值：{values}。{drop}"),
    "planner.limits.set_by": (
        "{limit} sets this answer; the other limits given ({others}) are kept too (their values for it are shown "
        "beside the ones given)",
        "本答案由 {limit} 决定；给定的其他限制（{others}）同样满足（其在此答案下的值与给定值并列显示）"),
    "planner.limits.conflict": (
        "no {name} keeps every limit given ({limits}): the {name} that meets each of them breaks another; "
        "loosen one of them",
        "没有一个 {name} 能同时满足所有给定的限制（{limits}）：满足其中一个的 {name} 会违反另一个；请放宽其中某个限制"),
    "planner.limits.conflict_at": (
        "no {name} keeps every limit given: {name} = {value}, the one {limit} asks for, gives {other} = {now}, "
        "beyond the {typed} given; loosen {limit} or {other}",
        "没有一个 {name} 能同时满足所有给定的限制：{limit} 所要求的 {name} = {value} 使 {other} = {now}，"
        "超出给定的 {typed}；请放宽 {limit} 或 {other}"),
    "planner.first_whole": (
        "{name} = {value} is the fewest there can be, and {value} already keeps {limits} as given: that limit "
        "does not bind (the values that depend on {name} are recomputed for {value})",
        "{name} = {value} 已是可取的最小值，且 {value} 即已满足给定的 {limits}：该限制不起约束作用"
        "（依赖 {name} 的值已按 {value} 重新计算）"),
    "planner.rounds_to_zero": (
        "{name} = {raw} rounds {way} to 0: no whole {name} of at least 1 meets the given values {givens}; "
        "loosen one of them",
        "{name} = {raw} {way}取整为 0：在给定的 {givens} 下没有不小于 1 的整数 {name}；请放宽其中某个值"),
    "planner.rounds_to_zero.at_one": (
        "{name} = {raw} rounds {way} to 0, and even {name} = 1 gives {values}: loosen one of the givens {givens}"
        "{cause}",
        "{name} = {raw} {way}取整为 0，而即使 {name} = 1 也会使 {values}：请放宽给定值 {givens} 之一{cause}"),
    "planner.rounds_to_zero.value": ("{name} = {now}, beyond the {typed} given", "{name} = {now}，超出给定的 {typed}"),
    "planner.not_whole": (
        "{name} must be a whole number, and no whole {name} satisfies rule {rule} ({formula}) with {values}: "
        "the exact value is {raw}. Change one of those values so that {name} comes out whole",
        "{name} 必须是整数，但在 {values} 下没有整数 {name} 满足规则 {rule}（{formula}）：精确值为 {raw}。"
        "请修改其中某个值，使 {name} 为整数"),
    "planner.not_whole.options": (
        "{name} must be a whole number, and no whole {name} satisfies rule {rule} ({formula}) with {values}: "
        "the exact value is {raw}. Change one of those values so that {name} comes out whole, for example "
        "{options}",
        "{name} 必须是整数，但在 {values} 下没有整数 {name} 满足规则 {rule}（{formula}）：精确值为 {raw}。"
        "请修改其中某个值，使 {name} 为整数，例如 {options}"),
    "planner.not_whole.row": (
        "{name} must be a whole number, and no whole {name} satisfies rule {rule} ({formula}) with this row's "
        "{names}. Change one of those values so that {name} comes out whole",
        "{name} 必须是整数，但在本行的 {names} 下没有整数 {name} 满足规则 {rule}（{formula}）。"
        "请修改其中某个值，使 {name} 为整数"),
    "planner.contradiction.row": (
        "given values contradict each other: rule {rule} ({formula}) does not hold with this row's {names}. "
        "Drop one of the givens behind them (or correct it)",
        "给定的值相互矛盾：本行的 {names} 不满足规则 {rule}（{formula}）。请去掉（或更正）其中某个给定值"),
    "planner.contradiction.drop": (
        "Drop one of the givens {names} (or correct it)",
        "请去掉（或更正）给定值 {names} 之一"),
    "planner.contradiction.drop_default": (
        "Drop one of the givens {names}, or give {defaults} yourself if the default is not what you meant",
        "请去掉给定值 {names} 之一；若默认值不是您想要的，请自行给出 {defaults}"),
    "planner.domain.above": (
        "the givens imply {name} = {value}, above {limit}{shown}; rule {rule}. Check the givens {givens}{cause}",
        "给定的值推出 {name} = {value}，超过上限 {limit}{shown}；规则 {rule}。请检查给定值 {givens}{cause}"),
    "planner.domain.below": (
        "the givens imply {name} = {value}, not above {limit}; {name} must be {requirement}; rule {rule}. "
        "Check the givens {givens}{cause}",
        "给定的值推出 {name} = {value}，不大于 {limit}；{name} 必须{requirement}；规则 {rule}。"
        "请检查给定值 {givens}{cause}"),
    "planner.domain.caused": (
        "{check}. (It makes {name} = {value}, which must be {requirement}: rule {rule}; the givens behind it: "
        "{givens})",
        "{check}。（由此 {name} = {value}，而 {name} 必须{requirement}：规则 {rule}；相关给定值：{givens}）"),
    "planner.domain.cause": (
        ". Likely cause: {check}",
        "。可能的原因：{check}"),
    "planner.out_of_reach": (
        "{clauses}. Change {names}, or the other inputs that set it. (In detail: {detail})",
        "{clauses}。请修改 {names}，或决定它的其他输入。（详细：{detail}）"),
    "planner.limit_unread": (
        "{limits} cannot shape {target} here: with the defaults {defaults} the rules fix {target} without it, "
        "and they do not tie {limits} to {target} either, so the answer would ignore it. To tie them, {detail}",
        "此处 {limits} 无法影响 {target}：按默认值 {defaults}，规则不依赖它就确定了 {target}，也无法把 {limits} "
        "与 {target} 联系起来，答案会忽略它。要联系二者，{detail}"),
    "planner.probe_unreached": (   # (a trial plan of the search for what is missing; never shown)
        "a trial plan does not reach {names}", "试探的求解计划无法推出 {names}"),
    "planner.unmoved": (
        "{clauses}. (What else would answer {target}: {detail})",
        "{clauses}。（其他可推出 {target} 的给定值：{detail}）"),
    "planner.unmoved.clause": (
        "{name} = {value} cannot set {target}: with the other givens {name} does not depend on {target}, "
        "it is {now} whatever {target} is{cause}",
        "{name} = {value} 无法决定 {target}：在其他给定值下 {name} 与 {target} 无关，无论 {target} 取何值都为 {now}"
        "{cause}"),
    "planner.out_of_reach.kept": (
        "{name} = {value} sets no limit on {target}: whatever {target} is, {name} is at most {limit} "
        "(at {target} = {at}), so every {target} keeps it",
        "{name} = {value} 对 {target} 不构成限制：无论 {target} 取何值，{name} 最多为 {limit}"
        "（{target} = {at} 时），任何 {target} 都满足"),
    "planner.out_of_reach.above": (
        "{name} = {value} is out of reach: whatever {target} is, {name} is at most {limit}",
        "{name} = {value} 无法达到：无论 {target} 取何值，{name} 最多为 {limit}"),
    "planner.out_of_reach.below": (
        "{name} = {value} is out of reach: whatever {target} is, {name} is at least {limit}",
        "{name} = {value} 无法达到：无论 {target} 取何值，{name} 至少为 {limit}"),
    "planner.givens.own": ("{names}{more}", "{names}{more}"),
    "planner.givens.more": (" (and {count} catalog figures and defaults behind them)",
                            "（及其背后的 {count} 个目录数值与默认值）"),
    "planner.givens.only_assumed": ("{names}", "{names}"),
    "planner.several_roots": (
        "the rules {rules} give more than one {name} for these inputs{other}; the answer is the {which}",
        "对这些输入，规则 {rules} 给出不止一个 {name}{other}；答案取{which}"),
    "planner.several_roots.value": (" ({value} as well)", "（{value} 同样满足）"),
    "planner.several_roots.largest": (
        "largest (a whole number rounded down: the most that keeps the limit)",
        "最大值（向下取整的整数：在限制之内的最大值）"),
    "planner.several_roots.smallest": ("smallest", "最小值"),
    "planner.domain.none": (
        "no valid value for {names} from rule {rules}: no real, finite answer in the variable's domain "
        "for these inputs",
        "规则 {rules} 无法给出 {names} 的有效值：在这些输入下没有位于其取值范围内的有限实数解"),
    "planner.no_effect": (
        "{name} cannot be solved from rule {rules}: for these inputs it does not change the result "
        "(the terms with {name} vanish); give {name} yourself",
        "无法由规则 {rules} 求解 {name}：在这些输入下它不影响结果（含 {name} 的项为零）；请自行给出 {name}"),
    "planner.requirement.positive": ("greater than 0", "大于 0"),
    "planner.requirement.nonnegative": ("at least 0", "不小于 0"),
    "planner.requirement.fraction": ("a fraction between 0 and 1", "介于 0 和 1 之间的比例"),
    "planner.requirement.integer": ("a whole number of at least 1", "不小于 1 的整数"),
    "planner.admissible": (
        "{name} = {raw} rounded to a whole number is not admissible; the {direction} admissible value is "
        "{value} (checks {reason}); values that depend on it are recomputed",
        "{name} = {raw} 取整后不可取；{direction}的可取值为 {value}（检查 {reason}）；依赖它的值已重新计算"),
    "planner.admissible.smallest": ("smallest", "最小"),
    "planner.admissible.largest": ("largest", "最大"),
    "planner.admissible.none": (
        "no whole {name} {side} {raw} is admissible: each fails one of the checks {reason} "
        "(see `llmplan explain {name}`); change one of the values they use: {uses}",
        "{raw} {side}没有可取的整数 {name}：每个候选值都不满足检查 {reason} 之一"
        "（见 `llmplan explain {name}`）；请调整这些检查用到的值：{uses}"),
    "planner.admissible.above": ("at or above", "及以上"),
    "planner.admissible.below": ("at or below", "及以下"),
    "planner.divides": ("{name} divides {other} = {value}", "{name} 整除 {other} = {value}"),
    "planner.internal_error": (
        "internal error while solving this row ({error}); knowns: {knowns}; asked: {targets}. "
        "This is a bug in llmplan: please report it; the other rows are not affected",
        "求解这一行时出现内部错误（{error}）；已知：{knowns}；求解：{targets}。"
        "这是 llmplan 的缺陷，请报告；其他行不受影响"),
    "planner.combined": (
        "{target} from the combined equation {formula} (rules {rules}; {cancelled} cancel)",
        "{target} 由合并方程 {formula} 得出（规则 {rules}；{cancelled} 相互抵消）"),
}
