// Server-side template injection: template syntax that evaluates an expression, sent where a function
// renders text with Jinja2, Twig, Handlebars, EJS, ERB, Freemarker, Velocity, Thymeleaf, Smarty, Razor,
// OGNL/EL, or Log4j-style `${…}` lookups. Placeholders are normal in text ("Hi {{first_name}}",
// "{{ ship_date | date: '%b %d' }}", "${price}"), so a block counts only for what is inside it:
// arithmetic on literals (the `{{7*7}}` probe), dunder attributes, the objects and calls escapes go
// through (__class__, config, self, getRuntime, T(java.lang.Runtime), constructor, require, popen),
// backticks, and for `${…}` the lookup prefixes (jndi:, env:, ${::-j}). A few directives count on
// their own (Velocity #set, Freemarker <#assign / ?new(), Smarty {php}).

import { F, type Detector } from './types.ts';

/** Delimited blocks and what they hold; `${…}` is group 2 (the one with lookups), `<% %>` group 4. */
const BLOCK = /\{\{([^{}]*)\}\}|\$\{([^{}]*)\}|[#*@%]\{([^{}]*)\}|<%=?([^%]*)%>|\{%([^%]*)%\}|@\(([^()]*)\)/g;
const EXPRESSION = [
  /\d+\s*[-+*/%]\s*['"]?\d|__[a-z]+__|`/,
  /\b(?:class|mro|subclasses|globals|builtins|import|getattr|lipsum|cycler|joiner|namespace|popen|subprocess|system|exec|eval|runtime|getruntime|processbuilder|forname|getclass|classloader|newinstance|invoke|constructor|require|child_process|freemarker|objectconstructor|_self|_memberaccess|pagecontext|ognl|scriptengine|scriptenginemanager)\b/,
  /\bt\s*\(\s*[a-z]|@java\.|\bnew\s+java\.|\?new\s*\(|\.\s*(?:read|open|popen|system|exec|eval|call|apply)\s*\(|\bopen\s*\(/,
  // objects whose attributes lead to the interpreter: {{config}}, {{self._TemplateReference__context}}
  /(?:^|[^\w.])(?:config|self|request|settings|session|app|url_for|get_flashed_messages)\s*(?:$|\.\s*(?:items|keys|values|update|from_\w+|environ|application|_\w*)\b|\[)/,
  /\b(?:config|settings)\s*\.\s*\w*(?:secret|password|token|key)/,
];
/** Inside ERB/EJS `<% %>` everything is code: any call counts (`Dir.entries('/')`). */
const CODE_CALL = /[\w\])]\s*\(/;
/** Log4j lookups and their obfuscations: ${jndi:ldap://…}, ${env:AWS_SECRET}, ${${::-j}ndi:…} */
const LOOKUP = /(?:^|[^\w])(?:jndi|env|sys|java|lower|upper|ctx|main|bundle|docker|k8s|spring|sd|web|log4j|base64|url|marker|date):|::-/;
const DIRECTIVE = /\{%\s*debug\s*%\}|#set\s*\(\s*\$\w+\s*=|\$\w+\.class\b|\$class\.inspect|#evaluate\s*\(|<#assign\b|<#import\b|\?new\s*\(|freemarker\.template\.utility|\{php\}|\{\s*system\s*\(|\{\$smarty\.|__\$\{/;


export const template: Detector = {
  id: 'template',
  patterns: [BLOCK, ...EXPRESSION, CODE_CALL, LOOKUP, DIRECTIVE],
  value({ lower, features: f }) {
    // Every block and directive needs one of: a brace; `<` with `%` or `#`; `(` after `@`, `#` or `?new`; `$x.class`.
    const possible = (f & F.BRACE) !== 0
      || ((f & F.ANGLE) !== 0 && (f & (F.PERCENT | F.HASH)) !== 0)
      || ((f & F.PAREN) !== 0 && ((f & (F.AT | F.HASH)) !== 0 || lower.includes('?new')))
      || ((f & F.DOLLAR) !== 0 && lower.includes('.class'));
    if (!possible) return false;
    if (DIRECTIVE.test(lower)) return true;
    for (const m of lower.matchAll(BLOCK)) {
      const inner = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5] ?? m[6] ?? '';
      if (m[2] !== undefined && LOOKUP.test(inner)) return true;
      if (m[4] !== undefined && CODE_CALL.test(inner)) return true;
      for (const p of EXPRESSION) if (p.test(inner)) return true;
    }
    return false;
  },
};
