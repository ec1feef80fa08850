#!/usr/bin/env bash
# Sets up SyTest (matrix-org/sytest) for `npm run sytest`, in .sytest/ (git-ignored; SYTEST_HOME
# moves it). Nothing of SyTest or Net::Async::HTTP::Server is ever committed: this script fetches
# both and edits its own clone. Safe to run again: it only does what is missing.
#
#   scripts/sytest/install.sh
#
# Environment:
#   SYTEST_GIT  where to clone SyTest from: a URL or a local clone/mirror
#               (default https://github.com/matrix-org/sytest.git)
#   SYTEST_REF  the SyTest commit to test against (default: the one the ledger was measured with)
#   NAHS_GIT    where to clone Net::Async::HTTP::Server 0.07 from
#               (default https://github.com/gitpan/Net-Async-HTTP-Server.git)
#   SYTEST_HOME where the clones go (default <repo>/.sytest)
#
# Needs: perl, git, openssl, and the Perl modules below (Debian packages; installed with apt-get
# when this runs as root, otherwise it names the command to run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HOME_DIR="${SYTEST_HOME:-$ROOT/.sytest}"
SYTEST_GIT="${SYTEST_GIT:-https://github.com/matrix-org/sytest.git}"
SYTEST_REF="${SYTEST_REF:-404d274c64825281086ef3d186f225bbc46e0605}"
NAHS_GIT="${NAHS_GIT:-https://github.com/gitpan/Net-Async-HTTP-Server.git}"
NAHS_REF=c78b6e7   # "Import of PEVANS/Net-Async-HTTP-Server-0.07 from CPAN"

die() { echo "sytest install: $*" >&2; exit 1; }

for tool in perl git openssl; do
  command -v "$tool" >/dev/null || die "$tool is required (Debian: apt-get install $tool)"
done

# Perl module -> Debian package. SyTest's cpanfile lists the modules; two are not in Debian:
# Crypt::Ed25519 (scripts/sytest/perl/Crypt/Ed25519.pm stands in for it, over CryptX) and
# Net::Async::HTTP::Server >= 0.09 (cloned and edited below).
MODULES="Class::Method::Modifiers=libclass-method-modifiers-perl Data::Dump=libdata-dump-perl
DBI=libdbi-perl DBD::Pg=libdbd-pg-perl Digest::HMAC_SHA1=libdigest-hmac-perl
Email::Address::XS=libemail-address-xs-perl Email::MIME=libemail-mime-perl
File::Slurper=libfile-slurper-perl Future=libfuture-perl HTTP::Request=libhttp-message-perl
IO::Async=libio-async-perl IO::Async::SSL=libio-async-ssl-perl IO::Socket::SSL=libio-socket-ssl-perl
JSON=libjson-perl List::UtilsBy=liblist-utilsby-perl Module::Pluggable=libmodule-pluggable-perl
Net::Async::HTTP=libnet-async-http-perl Net::SSLeay=libnet-ssleay-perl Struct::Dumb=libstruct-dumb-perl
URI=liburi-perl YAML::XS=libyaml-libyaml-perl Crypt::PK::Ed25519=libcryptx-perl"
missing=()
for pair in $MODULES; do
  perl -M"${pair%%=*}" -e 1 2>/dev/null || missing+=("${pair#*=}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "SyTest needs these Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})"
  fi
fi

mkdir -p "$HOME_DIR"

# clone_at DIR SOURCE REF NAME: a clone of SOURCE in DIR with REF checked out (no work-tree edits kept).
clone_at() {
  local dir=$1 src=$2 ref=$3 name=$4
  if [ ! -d "$dir/.git" ]; then
    git clone -q "$src" "$dir" 2>/dev/null ||
      die "cannot clone $name from $src; set ${5} to a reachable URL or a local clone of $name"
  fi
  if ! git -C "$dir" cat-file -e "$ref^{commit}" 2>/dev/null; then
    git -C "$dir" fetch -q origin 2>/dev/null || true
    git -C "$dir" cat-file -e "$ref^{commit}" 2>/dev/null ||
      die "$name commit $ref is not in $src; point ${5} at a clone that has it"
  fi
  git -C "$dir" checkout -q --force "$ref"
  git -C "$dir" clean -q -fdx
}

clone_at "$HOME_DIR/sytest" "$SYTEST_GIT" "$SYTEST_REF" matrix-org/sytest SYTEST_GIT
clone_at "$HOME_DIR/nahs" "$NAHS_GIT" "$NAHS_REF" gitpan/Net-Async-HTTP-Server NAHS_GIT

# SyTest needs Net::Async::HTTP::Server 0.09: servers take a `request_class` (SyTest's fake
# identity and federation servers pass their own request subclass), and requests answer
# query_param / query_param_names / query_form. 0.07 has neither; add them to our clone.
lib="$HOME_DIR/nahs/lib/Net/Async/HTTP/Server"
# edit FILE PERL-SUBSTITUTION: applies the substitution and fails if it matched nothing.
edit() {
  perl -0pi -e "\$n += ($2); END { exit(\$n ? 0 : 1) }" "$1" ||
    die "the Net::Async::HTTP::Server edit '$2' did not apply to $1 (is $NAHS_REF checked out?)"
}
for f in "$lib.pm" "$lib/Protocol.pm" "$lib/Request.pm"; do
  edit "$f" "s/our \\\$VERSION = '0\\.07';/our \\\$VERSION = '0.09';/"
done
edit "$lib.pm" 's/(\$params->\{handle_class\} = [^;]+;\n)/$1   \$params->{request_class} \/\/= "Net::Async::HTTP::Server::Request";\n/'
edit "$lib.pm" 's/foreach \(qw\( on_request \)\)/foreach (qw( on_request request_class ))/'
edit "$lib.pm" 's/(\nsub _received_request\n)/\n# Builds the request object for a parsed HTTP::Request (of the configured request_class).\nsub make_request\n{\n   my \$self = shift;\n   return \$self->{request_class}->new( \@_ );\n}\n$1/'
edit "$lib/Protocol.pm" 's/Net::Async::HTTP::Server::Request->new\( \$self, \$request \)/\$self->parent->make_request( \$self, \$request )/'
edit "$lib/Request.pm" 's/(\nsub query_string\n)/\nuse URI::QueryParam;\n\n# The query as key\/value pairs, its parameter names, and the value(s) of one parameter.\nsub query_form { return \$_[0]->{req}->uri->query_form }\nsub query_param_names { return \$_[0]->{req}->uri->query_param }\nsub query_param { my \$self = shift; return \$self->{req}->uri->query_param( \@_ ) }\n$1/'

PERL5LIB="$ROOT/scripts/sytest/perl:$HOME_DIR/nahs/lib" perl -e '
  use Net::Async::HTTP::Server 0.09; use Crypt::Ed25519;
  my $r = Net::Async::HTTP::Server::Request->new(undef, HTTP::Request->new(GET => "/x?a=1&b=2&a=3"));
  my @a = $r->query_param("a"); die "query_param\n" unless "@a" eq "1 3";
  my $s = Net::Async::HTTP::Server->new(on_request => sub {}, request_class => "Sub");
  die "request_class\n" unless $s->{request_class} eq "Sub";
  ' || die "the edited Net::Async::HTTP::Server does not load or behave as SyTest needs"
echo "SyTest $(git -C "$HOME_DIR/sytest" rev-parse --short HEAD) and Net::Async::HTTP::Server 0.07 (edited to 0.09) ready in $HOME_DIR"
