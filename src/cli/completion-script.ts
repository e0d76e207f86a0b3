/**
 * The bash and zsh completion scripts (pure). Commands and flags are written in (from the
 * yargs definitions: completion-spec.ts); targets are asked for at each Tab, from vethcap
 * itself (`completion --targets`: every runtime's running containers and pods, and the
 * netns: names, as far as this user can read them, silently). `invoke` is how the script
 * runs vethcap: node and its entry by absolute path.
 */
import type { CompletionSpec } from './completion-spec.js';
import { VETHCAP_VERSION } from '../version.js';

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const words = (list: readonly string[]): string => list.join(' ');
/** A command's description up to its first full stop or colon, for zsh's menu. */
const firstSentence = (text: string): string => text.split(/(?<=[.:])\s/)[0]!.replace(/[.:]$/, '');

export function renderBashCompletion(spec: CompletionSpec, invoke: readonly string[]): string {
  const names = spec.commands.map((c) => c.name);
  const cases = spec.commands
    .map((c) => `    ${c.name}) flags=${quote(words(c.flags))}; values=${quote(words(c.valueFlags))}; targetflags=${quote(words(c.targetFlags))}; targets=${c.takesTargets ? 1 : 0} ;;`)
    .join('\n');
  return `# vethcap completion for bash (vethcap ${VETHCAP_VERSION}): commands, flags, and the targets running here.
# Load it with: source <(vethcap completion bash)   (or save it in /etc/bash_completion.d/vethcap)
_vethcap() {
  local cur prev cmd flags values targetflags targets i line
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # "netns:lab1": bash splits words at ':'; the word as typed is taken from the line.
  if [ -n "\${COMP_LINE:-}" ]; then line="\${COMP_LINE:0:COMP_POINT}"; cur="\${line##*[[:space:]]}"; fi
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W ${quote(words([...names, ...spec.globalFlags]))} -- "$cur"))
    return 0
  fi
  flags=""; values=""; targetflags=""; targets=0
  case "$cmd" in
${cases}
    *) return 0 ;;
  esac
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$flags" -- "$cur")); return 0 ;;
  esac
  case " $targetflags " in *" $prev "*) targets=1 ;; *)
    # The value of a flag that takes one: not a target (files are completed by bash).
    case " $values " in *" $prev "*) return 0 ;; esac ;;
  esac
  [ "$targets" = 1 ] || return 0
  COMPREPLY=($(compgen -W "$(${invoke.map(quote).join(' ')} completion --targets 2>/dev/null)" -- "$cur"))
  # Shown and inserted after the last ':' bash split at.
  if [[ "$cur" == *:* && "\${COMP_WORDBREAKS:-:}" == *:* ]]; then
    local colon="\${cur%"\${cur##*:}"}"
    i=\${#COMPREPLY[@]}
    while [ $((--i)) -ge 0 ]; do COMPREPLY[i]="\${COMPREPLY[i]#"$colon"}"; done
  fi
  return 0
}
complete -o default -F _vethcap vethcap
`;
}

export function renderZshCompletion(spec: CompletionSpec, invoke: readonly string[]): string {
  const described = spec.commands.map((c) => quote(`${c.name}:${firstSentence(c.description).replace(/:/g, '\\:')}`)).join(' ');
  const cases = spec.commands
    .map((c) => `    ${c.name}) flags=(${c.flags.map(quote).join(' ')}); values=(${c.valueFlags.map(quote).join(' ')}); targetflags=(${c.targetFlags.map(quote).join(' ')}); targets=${c.takesTargets ? 1 : 0} ;;`)
    .join('\n');
  return `#compdef vethcap
# vethcap completion for zsh (vethcap ${VETHCAP_VERSION}): commands, flags, and the targets running here.
# Load it with: source <(vethcap completion zsh)   (or save it as _vethcap in a folder of $fpath)
_vethcap() {
  local -a commands flags values targetflags found
  local cmd targets=0
  commands=(${described})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    compadd -- ${spec.globalFlags.map(quote).join(' ')}
    return
  fi
  cmd=\${words[2]}
  case $cmd in
${cases}
    *) _files; return ;;
  esac
  if [[ $PREFIX == -* ]]; then
    compadd -- $flags
    return
  fi
  if (( \${targetflags[(Ie)\${words[CURRENT-1]}]} )); then targets=1
  elif (( \${values[(Ie)\${words[CURRENT-1]}]} )); then _files; return
  fi
  if (( targets )); then
    found=(\${(f)"$(${invoke.map(quote).join(' ')} completion --targets 2>/dev/null)"})
    compadd -- $found
  fi
  _files
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _vethcap "$@"
else
  compdef _vethcap vethcap
fi
`;
}
