# fish completion for vci-serve(8)
set -l cmds run import apikey
set -l keycmds add list revoke
complete -c vci-serve -f
complete -c vci-serve -n "not __fish_seen_subcommand_from $cmds" -a run -d 'serve (the default command)'
complete -c vci-serve -n "not __fish_seen_subcommand_from $cmds" -a import -d 'store offer records from vci-offer'
complete -c vci-serve -n "not __fish_seen_subcommand_from $cmds" -a apikey -d 'API keys of the management listener'
complete -c vci-serve -n "__fish_seen_subcommand_from apikey; and not __fish_seen_subcommand_from $keycmds" -a add -d 'make a key, print it once'
complete -c vci-serve -n "__fish_seen_subcommand_from apikey; and not __fish_seen_subcommand_from $keycmds" -a list -d 'list the keys'
complete -c vci-serve -n "__fish_seen_subcommand_from apikey; and not __fish_seen_subcommand_from $keycmds" -a revoke -d 'revoke a key'

complete -c vci-serve -s h -l help -d 'print help'
complete -c vci-serve -n "not __fish_seen_subcommand_from $cmds" -s V -l version -d 'print the version'
complete -c vci-serve -l state -x -a '(__fish_complete_directories)' -d 'state directory'

set -l serving "not __fish_seen_subcommand_from import apikey"
complete -c vci-serve -n $serving -l issuer -x -d 'credential issuer identifier'
complete -c vci-serve -n $serving -l defn -r -F -d 'credential definitions'
complete -c vci-serve -n $serving -l key -r -F -d 'issuer signing key'
complete -c vci-serve -n $serving -l pass -x -a 'env: file: pass:' -d 'passphrase of the key'
complete -c vci-serve -n $serving -l cert -r -F -d 'certificate chain of the key'
complete -c vci-serve -n $serving -l kid -x -d 'key id for JWS headers'
complete -c vci-serve -n $serving -l listen -x -a '127.0.0.1:8080' -d 'address of the public endpoints'
complete -c vci-serve -n $serving -l admin-listen -x -a '127.0.0.1:8081' -d 'address of the management listener'
complete -c vci-serve -n $serving -l config -r -F -d 'configuration file'
complete -c vci-serve -n $serving -l status-list -r -F -d 'status list file, [CONFIG_ID=]FILE'
complete -c vci-serve -n $serving -l dpop -x -a 'optional required off' -d 'DPoP binding of access tokens'
complete -c vci-serve -n $serving -l dpop-nonce -d 'require server-issued DPoP nonces'
complete -c vci-serve -n $serving -l token-ttl -x -d 'seconds an access token lives'
complete -c vci-serve -n $serving -l nonce-ttl -x -d 'seconds a c_nonce lives'
complete -c vci-serve -n $serving -l tx-attempts -x -d 'wrong transaction codes before the code dies'
complete -c vci-serve -n $serving -l batch-size -x -d 'most proofs per credential request'
complete -c vci-serve -n $serving -l threads -x -d 'worker threads'
complete -c vci-serve -n $serving -l log -r -F -d 'access log file'
complete -c vci-serve -n $serving -l tls-cert -r -F -d 'serve --listen over TLS with this certificate chain'
complete -c vci-serve -n $serving -l tls-key -r -F -d 'its private key (PEM, unencrypted)'

complete -c vci-serve -n "__fish_seen_subcommand_from import" -F
complete -c vci-serve -n "__fish_seen_subcommand_from import" -l tx-attempts -x -d 'wrong transaction codes before a code dies'
complete -c vci-serve -n "__fish_seen_subcommand_from import" -l config -r -F -d 'configuration file'
complete -c vci-serve -n "__fish_seen_subcommand_from import" -s o -l output -r -F -d 'write the results to FILE atomically'
complete -c vci-serve -n "__fish_seen_subcommand_from import" -l csv -r -F -d 'read records from CSV'
complete -c vci-serve -n "__fish_seen_subcommand_from import" -l jobs -x -d 'threads'
complete -c vci-serve -n "__fish_seen_subcommand_from import" -l progress -d 'show progress'
complete -c vci-serve -n "__fish_seen_subcommand_from import" -l no-progress -d 'never show progress'
complete -c vci-serve -n "__fish_seen_subcommand_from add" -l name -x -d 'a name for the key'
