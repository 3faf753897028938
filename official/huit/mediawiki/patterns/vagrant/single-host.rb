# -*- mode: ruby -*-
# vi: set ft=ruby :
#
# huit/mediawiki single-host on Vagrant. nepho renders this file into the
# formation's directory, replacing each double-braced placeholder with a Ruby
# literal (a quoted string or a number), and adds the bootstrap provisioner
# itself. The wiki answers on http://127.0.0.1:8080/ of the host.

Vagrant.configure("2") do |config|
  config.vm.box = {{parameters.Box}}
  config.vm.hostname = {{formation.name}}

  config.vm.network "forwarded_port",
    guest: {{parameters.AppPort}}, host: 8080, host_ip: "127.0.0.1", id: "wiki"

  # The bootstrap script is uploaded over SSH; no shared folder is needed.
  config.vm.synced_folder ".", "/vagrant", disabled: true

  config.vm.provider "virtualbox" do |vb|
    vb.memory = 1024
    vb.cpus = 1
  end
end
