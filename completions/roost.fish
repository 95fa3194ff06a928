# fish completion for roost(1): commands, their options, identity names
# (from the home's conf/) and the values some options take.  Commands and
# options are read from roost's own help, so they follow the binary.

function __roost_home
    set -l t (commandline -opc)
    for i in (seq 2 (count $t))
        if test "$t[$i]" = -H; and test $i -lt (count $t)
            echo $t[(math $i + 1)]
            return
        else if string match -q -- '-H?*' $t[$i]
            string sub -s 3 -- $t[$i]
            return
        end
    end
    if set -q ROOST_HOME
        echo $ROOST_HOME
    else
        echo $HOME/.roost
    end
end

function __roost_ids
    for f in (__roost_home)/conf/*.conf
        basename $f .conf
    end
end

function __roost_cmd
    set -l t (commandline -opc)
    set -l skip 0
    for w in $t[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $w
            case -H
                set skip 1
            case '-*'
            case '*'
                echo $w
                return
        end
    end
end

function __roost_commands
    roost help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\)  *\(.*\)/\1\t\2/p'
end

function __roost_options
    roost (__roost_cmd) --help 2>/dev/null | sed -n 's/^  \(-[a-zA-Z][^,]*, \)\{0,1\}--\([a-z][a-z-]*\).*/\2/p'
end

function __roost_no_cmd
    set -l c (__roost_cmd)
    test -z "$c"
end

function __roost_prev_is
    set -l t (commandline -opc)
    test "$t[-1]" = "$argv[1]"
end

function __roost_cmd_is
    contains -- (__roost_cmd) $argv
end

complete -c roost -f
complete -c roost -s H -r -a '(__fish_complete_directories)' -d 'the home'
complete -c roost -s q -d 'quiet'
complete -c roost -s v -d 'verbose'
complete -c roost -n __roost_no_cmd -a '(__roost_commands)'
complete -c roost -n 'not __roost_no_cmd; and string match -q -- "--*" (commandline -ct)' -a '--(__roost_options)'
complete -c roost -n '__roost_cmd_is rm start stop wake restart attach output log canary status tick mark' -a '(__roost_ids)'
complete -c roost -n '__roost_cmd_is help' -a '(__roost_commands)'
complete -c roost -n '__roost_cmd_is help' -a conf -d 'the conf keys'
complete -c roost -n '__roost_cmd_is send; and __roost_prev_is send' -a '(__roost_ids)'
complete -c roost -n '__roost_cmd_is send' -l file -r -F
complete -c roost -n '__roost_cmd_is install' -l scheduler -x -a 'auto cron systemd launchd none'
complete -c roost -n '__roost_cmd_is add' -l restart -x -a 'always on-failure never'
complete -c roost -n '__roost_cmd_is add' -l cwd -x -a '(__fish_complete_directories)'
complete -c roost -n '__roost_cmd_is status' -l format -x -a 'table logfmt json'
complete -c roost -n '__roost_cmd_is log' -l format -x -a 'logfmt json'
